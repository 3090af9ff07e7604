using RebarProvision.Model;

namespace RebarProvision.Server.Images;

/// <summary>What an install placed into a bootenv's tree, and which of its listed images are not uploaded yet.</summary>
public sealed record BootEnvInstallation(string BootEnv, IReadOnlyList<InstalledImage> Installed, IReadOnlyList<BootImage> Missing);
