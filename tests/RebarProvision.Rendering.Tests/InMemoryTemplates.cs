using RebarProvision.Model;
using RebarProvision.Rendering;

namespace RebarProvision.Rendering.Tests;

/// <summary>A template source for tests: a dictionary, with a revision bumped on every change.</summary>
public sealed class InMemoryTemplates : ITemplateSource
{
    private readonly Dictionary<string, Template> _templates = new(StringComparer.Ordinal);

    public long Revision { get; private set; }

    public InMemoryTemplates Add(string name, string contents)
    {
        Revision++;
        _templates[name] = new Template { Name = name, Contents = contents, Revision = Revision };
        return this;
    }

    public Template? Find(string name) => _templates.GetValueOrDefault(name);
}
