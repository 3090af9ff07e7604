namespace RebarProvision.Server.Images;

/// <summary>An image that could not be placed into a bootenv's tree (the archive was refused or unreadable).</summary>
public sealed class ImageInstallException : Exception
{
    public ImageInstallException(string message, IReadOnlyList<string> reasons)
        : base(message) => Reasons = reasons;

    public ImageInstallException()
    {
    }

    public ImageInstallException(string message)
        : base(message)
    {
    }

    public ImageInstallException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public IReadOnlyList<string> Reasons { get; } = [];
}
