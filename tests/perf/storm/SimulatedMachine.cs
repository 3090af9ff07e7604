using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using RebarProvision.Dhcp;
using RebarProvision.Tftp.Perf;

namespace RebarProvision.Storm.Perf;

/// <summary>
/// One machine powering on: the firmware's PXE DHCP and TFTP, iPXE's DHCP and HTTP fetches, then the installed OS's
/// cloud-init fetches and callback. After its lease every packet leaves from the leased address (the run script puts
/// the pool's addresses on the client interface), so a server that serves a machine's files only to its lease sees
/// the right source.
/// </summary>
internal sealed partial class SimulatedMachine(int index, byte[] mac, DhcpPort dhcp, StormOptions options)
{
    private readonly double[] _seconds = Enumerable.Repeat(double.NaN, Enum.GetValues<Stage>().Length).ToArray();
    private readonly byte[] _uuid = Guid.NewGuid().ToByteArray();
    private int _dhcpRetries;
    private int _tftpRetries;
    private int _httpRetries;
    private long _bytes;

    [GeneratedRegex(@"https?://[^\s'""]+/callback\?token=[^\s'""]+")]
    private static partial Regex CallbackUrl();

    public string Mac { get; } = string.Join(':', mac.Select(b => b.ToString("x2")));

    public async Task<MachineResult> BootAsync(CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var stage = Stage.DhcpPxe;
        try
        {
            var clock = Stopwatch.StartNew();
            var pxe = await LeaseAsync(ipxe: false, cancellationToken);
            Done(Stage.DhcpPxe, clock);

            stage = Stage.TftpLoader;
            var leased = new IPAddress(BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(pxe.YourAddress)));
            var loader = BootFile(pxe);
            var tftpServer = pxe.NextServerAddress != 0 ? pxe.NextServerAddress : pxe.Options.GetAddress(DhcpOptionCode.ServerIdentifier) ?? 0;
            var tftp = new LoadClient(new IPEndPoint(Address(tftpServer), 69), options.BlockSize, options.WindowSize) { LocalAddress = leased };
            try
            {
                using var tftpDeadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                tftpDeadline.CancelAfter(TimeSpan.FromSeconds(60));
                var size = await tftp.DownloadAsync(loader, tftpDeadline.Token);
                _bytes += size > 0 ? size : throw new InvalidDataException($"TFTP {loader}: empty");
            }
            finally
            {
                _tftpRetries += tftp.Retries;
            }
            Done(Stage.TftpLoader, clock);

            stage = Stage.DhcpIpxe;
            var ipxe = await LeaseAsync(ipxe: true, cancellationToken);
            if (ipxe.YourAddress != pxe.YourAddress)
            {
                throw new InvalidDataException($"iPXE was given {Address(ipxe.YourAddress)}, the firmware {leased}");
            }
            var scriptUrl = new Uri(BootFile(ipxe).Replace("${mac}", Mac, StringComparison.Ordinal).Replace("${net0/mac}", Mac, StringComparison.Ordinal));
            Done(Stage.DhcpIpxe, clock);

            using var http = HttpFrom(leased);
            stage = Stage.IpxeScript;
            var script = IpxeScript.Parse(await GetTextAsync(http, scriptUrl, cancellationToken), scriptUrl);
            Done(Stage.IpxeScript, clock);

            stage = Stage.Kernel;
            await DownloadAsync(http, script.Kernel, cancellationToken);
            Done(Stage.Kernel, clock);
            stage = Stage.Initrd;
            foreach (var initrd in script.Initrds)
            {
                await DownloadAsync(http, initrd, cancellationToken);
            }
            Done(Stage.Initrd, clock);

            stage = Stage.CloudInit;
            var seed = script.Seed ?? throw new InvalidDataException("the kernel command line names no NoCloud seed (ds=nocloud-net;s=...)");
            var userData = await GetTextAsync(http, new Uri(seed, "user-data"), cancellationToken);
            await GetTextAsync(http, new Uri(seed, "meta-data"), cancellationToken);
            Done(Stage.CloudInit, clock);

            stage = Stage.Callback;
            var callback = CallbackUrl().Match(userData);
            if (!callback.Success)
            {
                throw new InvalidDataException("user-data holds no callback URL");
            }
            await PostAsync(http, new Uri(callback.Value), cancellationToken);
            Done(Stage.Callback, clock);
            _seconds[(int)Stage.Total] = total.Elapsed.TotalSeconds;
            return Result(null);
        }
        catch (Exception e) when (e is not OperationCanceledException || cancellationToken.IsCancellationRequested)
        {
            return Result($"{StageNames.Of(stage)}: {(e is OperationCanceledException ? "deadline" : e.Message)}");
        }
    }

    private MachineResult Result(string? error) => new(Mac, _seconds, error, _dhcpRetries, _tftpRetries, _httpRetries, _bytes);

    private void Done(Stage stage, Stopwatch clock)
    {
        _seconds[(int)stage] = clock.Elapsed.TotalSeconds;
        clock.Restart();
    }

    /// <summary>
    /// DISCOVER → OFFER → REQUEST → ACK, as a PXE ROM (<paramref name="ipxe"/> false) or as iPXE; a NAK starts over
    /// (RFC 2131 §4.4.1: back to INIT), as a server that offered one address to two clients makes the loser do.
    /// </summary>
    private async Task<DhcpMessage> LeaseAsync(bool ipxe, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var xid = (uint)Random.Shared.Next() ^ (uint)index;
            var offer = await dhcp.ExchangeAsync(Request(DhcpMessageType.Discover, xid, ipxe), [DhcpMessageType.Offer], options.DhcpTimeout, options.DhcpAttempts, () => _dhcpRetries++, cancellationToken);
            if (offer.YourAddress == 0)
            {
                throw new InvalidDataException("an OFFER without an address");
            }
            var request = Request(DhcpMessageType.Request, xid, ipxe);
            request.Options.SetAddress(DhcpOptionCode.RequestedAddress, offer.YourAddress);
            request.Options.SetAddress(DhcpOptionCode.ServerIdentifier, offer.Options.GetAddress(DhcpOptionCode.ServerIdentifier) ?? 0);
            var ack = await dhcp.ExchangeAsync(request, [DhcpMessageType.Ack, DhcpMessageType.Nak], options.DhcpTimeout, options.DhcpAttempts, () => _dhcpRetries++, cancellationToken);
            if (ack.MessageType == DhcpMessageType.Nak)
            {
                if (attempt == options.DhcpAttempts)
                {
                    throw new InvalidDataException($"NAK for {Address(offer.YourAddress)}, {attempt} times");
                }
                _dhcpRetries++;
                continue;
            }
            if (string.IsNullOrEmpty(BootFile(ack)))
            {
                throw new InvalidDataException($"the ACK ({(ipxe ? "iPXE" : "PXE")}) names no boot file");
            }
            return ack;
        }
    }

    private DhcpMessage Request(DhcpMessageType type, uint xid, bool ipxe)
    {
        var chaddr = new byte[16];
        mac.CopyTo(chaddr, 0);
        var message = new DhcpMessage { TransactionId = xid, ClientHardwareAddress = chaddr, Broadcast = true };
        message.Options.SetMessageType(type);
        message.Options.SetUInt16(DhcpOptionCode.MaxMessageSize, 1472);
        message.Options.Set(DhcpOptionCode.ParameterRequestList, ipxe ? [1, 3, 6, 7, 12, 15, 17, 43, 60, 66, 67, 119, 128, 129, 130, 131, 132, 133, 134, 135, 175, 203] : [1, 2, 3, 4, 5, 6, 12, 13, 15, 17, 18, 22, 23, 28, 40, 41, 42, 43, 50, 51, 54, 58, 59, 60, 66, 67, 97, 128, 129, 130, 131, 132, 133, 134, 135]);
        // PXE spec §2.2: the vendor class says PXEClient, the architecture and the UNDI version; iPXE sends the same.
        message.Options.SetText(DhcpOptionCode.VendorClass, $"PXEClient:Arch:{options.Arch:D5}:UNDI:002001");
        message.Options.SetUInt16(DhcpOptionCode.ClientArchitecture, options.Arch);
        message.Options.Set(DhcpOptionCode.ClientNetworkInterface, [1, 2, 1]);
        message.Options.Set(DhcpOptionCode.ClientMachineIdentifier, [0, .. _uuid]);
        if (ipxe)
        {
            message.Options.SetText(DhcpOptionCode.UserClass, "iPXE");
        }
        return message;
    }

    private static string BootFile(DhcpMessage reply) =>
        reply.Options.GetText(DhcpOptionCode.BootFileName) is { Length: > 0 } option ? option : reply.BootFileName;

    private static IPAddress Address(uint hostOrder) => new(BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(hostOrder)));

    /// <summary>One connection per machine, from its leased address, kept alive across its fetches as iPXE does.</summary>
    private HttpClient HttpFrom(IPAddress local)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            MaxConnectionsPerServer = 1,
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(local, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { Timeout = options.HttpTimeout };
    }

    private async Task<string> GetTextAsync(HttpClient http, Uri url, CancellationToken cancellationToken) =>
        await WithRetriesAsync(url, async () =>
        {
            using var response = await http.GetAsync(url, cancellationToken);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            Check(response, url);
            _bytes += body.Length;
            Record(url, body);
            return Encoding.UTF8.GetString(body);
        }, cancellationToken);

    private async Task DownloadAsync(HttpClient http, Uri url, CancellationToken cancellationToken) =>
        await WithRetriesAsync(url, async () =>
        {
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            Check(response, url);
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[64 * 1024];
            long length = 0;
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                length += read;
            }
            if (length == 0 || response.Content.Headers.ContentLength is { } expected && expected != length)
            {
                throw new InvalidDataException($"{url}: {length} bytes, expected {response.Content.Headers.ContentLength}");
            }
            _bytes += length;
            return length;
        }, cancellationToken);

    private async Task PostAsync(HttpClient http, Uri url, CancellationToken cancellationToken) =>
        await WithRetriesAsync(url, async () =>
        {
            using var form = new FormUrlEncodedContent([new("status", "installed")]);
            using var response = await http.PostAsync(url, form, cancellationToken);
            Check(response, url);
            return 0;
        }, cancellationToken);

    private static void Check(HttpResponseMessage response, Uri url)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{url.AbsolutePath}: HTTP {(int)response.StatusCode}", null, response.StatusCode);
        }
    }

    /// <summary>Connection failures, timeouts and 5xx are retried after a second, as curl --retry would; 4xx is an answer.</summary>
    private async Task<T> WithRetriesAsync<T>(Uri url, Func<Task<T>> fetch, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await fetch();
            }
            catch (Exception e) when (attempt < options.HttpAttempts && !cancellationToken.IsCancellationRequested
                && (e is HttpRequestException { StatusCode: null or >= HttpStatusCode.InternalServerError } or TaskCanceledException or IOException))
            {
                _httpRetries++;
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new HttpRequestException($"{url.AbsolutePath}: {e.Message}", e);
            }
        }
    }

    private void Record(Uri url, byte[] body)
    {
        if (options.RecordDirectory is null)
        {
            return;
        }
        var path = Path.GetFullPath(Path.Combine(options.RecordDirectory, url.AbsolutePath.TrimStart('/')));
        if (!path.StartsWith(Path.GetFullPath(options.RecordDirectory), StringComparison.Ordinal))
        {
            return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, body);
    }
}
