namespace RebarProvision.Model;

/// <summary>
/// A per-machine file a bootenv serves: <see cref="Path"/> is itself a template (e.g.
/// <c>machines/{{machine.uuid}}/user-data</c>); the body is a named <see cref="Model.Template"/> or inline contents.
/// </summary>
public sealed class BootTemplate
{
    public string Name { get; set; } = "";

    public string Path { get; set; } = "";

    public string? Template { get; set; }

    public string? Contents { get; set; }

    public IEnumerable<FieldError> Validate(string prefix)
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            yield return new FieldError($"{prefix}.name", "is required");
        }
        if (string.IsNullOrWhiteSpace(Path))
        {
            yield return new FieldError($"{prefix}.path", "is required");
        }
        if ((Template is null) == (Contents is null))
        {
            yield return new FieldError($"{prefix}.template", "give exactly one of template or contents");
        }
    }
}
