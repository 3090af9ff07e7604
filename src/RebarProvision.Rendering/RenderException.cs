namespace RebarProvision.Rendering;

/// <summary>A template failed to parse or render; says which template, where in it, and why.</summary>
public sealed class RenderException : Exception
{
    public RenderException(string templateName, int line, int column, string reason)
        : base($"{templateName}:{line}:{column}: {reason}")
    {
        TemplateName = templateName;
        Line = line;
        Column = column;
        Reason = reason;
    }

    public RenderException(string templateName, int line, int column, string reason, Exception inner)
        : base($"{templateName}:{line}:{column}: {reason}", inner)
    {
        TemplateName = templateName;
        Line = line;
        Column = column;
        Reason = reason;
    }

    /// <summary>The template the error is in (an included template's name when the error is inside it).</summary>
    public string TemplateName { get; }

    /// <summary>1-based line.</summary>
    public int Line { get; }

    /// <summary>1-based column.</summary>
    public int Column { get; }

    /// <summary>The message without its location.</summary>
    public string Reason { get; }
}
