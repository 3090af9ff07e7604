using RebarProvision.Model;

namespace RebarProvision.Rendering;

/// <summary>
/// Where the sandbox finds templates by name. It is the only way a template reaches another one: there is no file
/// system behind it, so <c>include "/etc/passwd"</c> is just a name that is not found.
/// </summary>
public interface ITemplateSource
{
    Template? Find(string name);

    /// <summary>
    /// A stamp that changes whenever any template changes (e.g. the highest template revision). It is part of every
    /// cache key, because an included template can change a rendered file without its bootenv changing.
    /// </summary>
    long Revision { get; }
}
