using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RebarProvision.Server.Hosting;

/// <summary>The API's TLS certificate: the configured one, or a self-signed one made on first start and kept in the data directory.</summary>
public static class ServerCertificate
{
    public static X509Certificate2 LoadOrCreate(string dataDir)
    {
        var path = Path.Combine(dataDir, "tls", "server.pfx");
        if (File.Exists(path))
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, password: null);
        }
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=rebar-provision", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddDnsName(Environment.MachineName);
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));
        Secrets.KeyFile.CreateOwnerOnlyFolder(Path.GetDirectoryName(path)!);
        var pfx = certificate.Export(X509ContentType.Pkcs12);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // The private key is in the file: created 0600, never briefly readable by others as a chmod afterwards allows.
            options.UnixCreateMode = Secrets.KeyFile.OwnerOnlyFile;
        }
        using (var file = new FileStream(path, options))
        {
            file.Write(pfx);
        }
        return X509CertificateLoader.LoadPkcs12(pfx, password: null);
    }
}
