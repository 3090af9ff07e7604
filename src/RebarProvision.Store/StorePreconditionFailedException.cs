namespace RebarProvision.Store;

/// <summary>The stored revision is not the expected one.</summary>
public sealed class StorePreconditionFailedException : Exception
{
    public StorePreconditionFailedException()
    {
    }

    public StorePreconditionFailedException(string message)
        : base(message)
    {
    }

    public StorePreconditionFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
