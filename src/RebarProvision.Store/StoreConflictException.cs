namespace RebarProvision.Store;

/// <summary>The key or a unique value is already taken.</summary>
public sealed class StoreConflictException : Exception
{
    public StoreConflictException()
    {
    }

    public StoreConflictException(string message)
        : base(message)
    {
    }

    public StoreConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public StoreConflictException(string message, string field, string value, Exception? innerException = null)
        : base(message, innerException)
    {
        Field = field;
        Value = value;
    }

    /// <summary>The field whose value is taken ("key" for the object's key), when the store knows it.</summary>
    public string? Field { get; }

    public string? Value { get; }
}
