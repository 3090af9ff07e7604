namespace RebarProvision.Dhcp;

/// <summary>
/// The boot file a client is told to fetch (DESIGN §4 step 3). <see cref="IsUrl"/> files are fetched over HTTP and
/// need option 60 "HTTPClient" echoed (UEFI spec §24.7.2); the others come from the TFTP next-server.
/// </summary>
public sealed record PxeBootFile(string FileName, bool IsUrl, bool EchoHttpClient)
{
    public const string BiosLoader = "undionly.kpxe";
    public const string UefiX64Loader = "ipxe.efi";
    public const string UefiArm64Loader = "ipxe-arm64.efi";

    /// <summary>The boot file for a class, or null for clients that get none (plain DHCP, unknown architectures).</summary>
    /// <param name="server">The address the client should reach us on (the advertised or receiving address).</param>
    /// <param name="mac">The client's MAC, lower-case colon form, naming its iPXE script.</param>
    public static PxeBootFile? Choose(PxeClientClass client, string server, int httpPort, string mac)
    {
        var http = $"http://{server}:{httpPort}";
        return client switch
        {
            PxeClientClass.BiosPxe => new PxeBootFile(BiosLoader, false, false),
            PxeClientClass.UefiPxe => new PxeBootFile(UefiX64Loader, false, false),
            PxeClientClass.UefiHttp => new PxeBootFile($"{http}/{UefiX64Loader}", true, true),
            PxeClientClass.Arm64UefiPxe => new PxeBootFile(UefiArm64Loader, false, false),
            PxeClientClass.Arm64UefiHttp => new PxeBootFile($"{http}/{UefiArm64Loader}", true, true),
            PxeClientClass.Ipxe => new PxeBootFile($"{http}/boot/{mac}.ipxe", true, false),
            _ => null,
        };
    }
}
