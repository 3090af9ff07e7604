using System.Text;

namespace RebarProvision.Dhcp;

/// <summary>What a DHCP request says about the client's firmware: class, architecture (option 93) and UUID (97).</summary>
public sealed record PxeClient(PxeClientClass Class, ushort? Architecture, string? VendorClass, string? ClientUuid)
{
    /// <summary>RFC 4578 §2.1 (and the IANA registry): processor architecture types we serve.</summary>
    public const ushort ArchBios = 0;
    public const ushort ArchEfiX64 = 7;
    public const ushort ArchEfiBc = 9;
    public const ushort ArchEfiArm64 = 11;
    public const ushort ArchEfiX64Http = 16;
    public const ushort ArchEfiArm64Http = 19;

    /// <summary>A client that says nothing of its firmware: most requests, so one instance serves them all.</summary>
    private static readonly PxeClient Unidentified = new(PxeClientClass.None, null, null, null);

    public bool IsPxe => Class is not PxeClientClass.None;

    /// <summary>Whether the client is arm64 firmware, for the machine's Arch.</summary>
    public bool IsArm64 => Architecture is ArchEfiArm64 or ArchEfiArm64Http;

    public static PxeClient Classify(DhcpMessage message)
    {
        var options = message.Options;
        var vendorClass = options.GetText(DhcpOptionCode.VendorClass);
        ushort? arch = options.Get(DhcpOptionCode.ClientArchitecture) is { Length: >= 2 } a ? (ushort)((a[0] << 8) | a[1]) : null;
        var uuid = FormatUuid(options.Get(DhcpOptionCode.ClientMachineIdentifier));
        var pxe = vendorClass?.StartsWith("PXEClient", StringComparison.Ordinal) == true;
        var http = vendorClass?.StartsWith("HTTPClient", StringComparison.Ordinal) == true;

        PxeClientClass kind;
        if (IsIpxe(options.Get(DhcpOptionCode.UserClass)))
        {
            kind = PxeClientClass.Ipxe;
        }
        else if (!pxe && !http && arch is null)
        {
            kind = PxeClientClass.None;
        }
        else
        {
            kind = arch switch
            {
                null or ArchBios => pxe ? PxeClientClass.BiosPxe : PxeClientClass.Unsupported,
                ArchEfiX64 or ArchEfiBc => http ? PxeClientClass.UefiHttp : PxeClientClass.UefiPxe,
                ArchEfiX64Http => PxeClientClass.UefiHttp,
                ArchEfiArm64 => http ? PxeClientClass.Arm64UefiHttp : PxeClientClass.Arm64UefiPxe,
                ArchEfiArm64Http => PxeClientClass.Arm64UefiHttp,
                _ => PxeClientClass.Unsupported,
            };
        }
        return kind == PxeClientClass.None && arch is null && vendorClass is null && uuid is null
            ? Unidentified
            : new PxeClient(kind, arch, vendorClass, uuid);
    }

    /// <summary>
    /// iPXE sends user class "iPXE" as plain text; RFC 3004 §4 frames each class with a length byte, so accept both.
    /// </summary>
    private static bool IsIpxe(byte[]? userClass)
    {
        if (userClass is null)
        {
            return false;
        }
        var ipxe = "iPXE"u8;
        if (userClass.AsSpan().SequenceEqual(ipxe))
        {
            return true;
        }
        var i = 0;
        while (i < userClass.Length)
        {
            var length = userClass[i];
            if (i + 1 + length > userClass.Length)
            {
                return false;
            }
            if (userClass.AsSpan(i + 1, length).SequenceEqual(ipxe))
            {
                return true;
            }
            i += 1 + length;
        }
        return false;
    }

    /// <summary>RFC 4578 §2.3: type 0 followed by a 16-byte UUID.</summary>
    private static string? FormatUuid(byte[]? value) =>
        value is { Length: 17 } && value[0] == 0 ? new Guid(value.AsSpan(1), bigEndian: true).ToString() : null;

    public override string ToString()
    {
        var builder = new StringBuilder(Class.ToString());
        if (Architecture is { } arch)
        {
            builder.Append(" arch ").Append(arch);
        }
        return builder.ToString();
    }
}
