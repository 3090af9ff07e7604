using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;
using Scriban.Syntax;

namespace RebarProvision.Rendering;

/// <summary>
/// Scriban's include hook, limited to our own templates by name. Our <c>include</c> function goes through
/// <see cref="TemplateSandbox"/> itself; this loader is the backstop for anything else in Scriban that loads.
/// </summary>
internal sealed class SandboxTemplateLoader(ITemplateSource templates) : ITemplateLoader
{
    public string GetPath(TemplateContext context, SourceSpan callerSpan, string templateName) =>
        templates.Find(templateName) is not null
            ? templateName
            : throw new ScriptRuntimeException(callerSpan, TemplateSandbox.NotFoundMessage(templateName));

    public string Load(TemplateContext context, SourceSpan callerSpan, string templatePath) =>
        templates.Find(templatePath)?.Contents
        ?? throw new ScriptRuntimeException(callerSpan, TemplateSandbox.NotFoundMessage(templatePath));

    public ValueTask<string?> LoadAsync(TemplateContext context, SourceSpan callerSpan, string templatePath) =>
        ValueTask.FromResult<string?>(Load(context, callerSpan, templatePath));
}
