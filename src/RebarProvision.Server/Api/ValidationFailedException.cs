using RebarProvision.Model;

namespace RebarProvision.Server.Api;

/// <summary>Input failed validation; every bad field is listed and becomes a 400 problem response.</summary>
public sealed class ValidationFailedException : Exception
{
    public IReadOnlyList<FieldError> Errors { get; }

    public ValidationFailedException(IReadOnlyList<FieldError> errors)
        : base(string.Join("; ", errors))
    {
        Errors = errors;
    }

    public ValidationFailedException(string field, string message)
        : this([new FieldError(field, message)])
    {
    }

    public ValidationFailedException()
        : this([])
    {
    }

    public ValidationFailedException(string message)
        : this("", message)
    {
    }

    public ValidationFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [new FieldError("", message)];
    }
}
