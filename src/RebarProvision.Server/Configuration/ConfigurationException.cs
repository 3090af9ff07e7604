namespace RebarProvision.Server.Configuration;

/// <summary>A setting is wrong; the message names the setting, so start-up can fail fast and say why.</summary>
public sealed class ConfigurationException : Exception
{
    public ConfigurationException()
    {
    }

    public ConfigurationException(string message)
        : base(message)
    {
    }

    public ConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
