using System.Net;
using Microsoft.Extensions.Logging;
using RebarProvision.Tftp.Transport;

namespace RebarProvision.Tftp.Tests;

/// <summary>Behaviour real clients cannot show: OACK details on the wire, malformed packets, a client that vanishes.</summary>
[Collection(TftpNamespaceCollection.Name)]
public sealed class RawClientTests(TftpNamespaceFixture fixture)
{
    private static readonly IPEndPoint Server = new(IPAddress.Parse(TftpNamespaceFixture.ServerAddress), TftpNamespaceFixture.Port);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    [SkippableFact]
    public async Task Options_are_answered_with_an_oack_and_data_waits_for_ack_zero()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var client = new RawTftpClient(fixture.ClientSocket(), Server);

        client.SendRequest(new TftpRequest(false, "one-mib.bin", TftpMode.Octet, [new("blksize", "100000"), new("tsize", "0"), new("windowsize", "2"), new("x-unknown", "1")]));

        var oack = Assert.IsType<TftpOptionAck>(await client.ReceiveAsync(Wait));
        Assert.Equal([new("blksize", "65464"), new("tsize", "1048576"), new("windowsize", "2")], oack.Options);
        Assert.NotEqual(TftpNamespaceFixture.Port, client.TransferEndpoint!.Port);
        client.Ack(0);
        for (ushort block = 1; block <= 2; block++)
        {
            var data = Assert.IsType<TftpData>(await client.ReceiveAsync(Wait));
            Assert.Equal(block, data.Block);
            Assert.Equal(65464, data.Payload.Length);
        }
        client.SendRaw([0, 5, 0, 0, 0]);
        client.Ack(2);
        Assert.Equal(3, Assert.IsType<TftpData>(await client.ReceiveAsync(Wait)).Block);
    }

    [SkippableFact]
    public async Task A_repeated_request_does_not_start_a_second_transfer()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var client = new RawTftpClient(fixture.ClientSocket(), Server);
        var request = new TftpRequest(false, "512.bin", TftpMode.Octet, []);

        client.SendRequest(request);
        client.SendRequest(request);

        Assert.Equal(1, Assert.IsType<TftpData>(await client.ReceiveAsync(Wait)).Block);
        var transfer = client.TransferEndpoint;
        client.Ack(1);
        Assert.Equal(2, Assert.IsType<TftpData>(await client.ReceiveAsync(Wait)).Block);
        client.Ack(2);
        Assert.Null(await client.ReceiveAsync(TimeSpan.FromMilliseconds(300)));
        Assert.Equal(transfer, client.TransferEndpoint);
    }

    [SkippableFact]
    public async Task A_malformed_option_is_refused_with_error_8()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var client = new RawTftpClient(fixture.ClientSocket(), Server);

        client.SendRequest(new TftpRequest(false, "511.bin", TftpMode.Octet, [new("blksize", "4")]));

        Assert.Equal(TftpErrorCode.OptionNegotiationRefused, Assert.IsType<TftpError>(await client.ReceiveAsync(Wait)).Code);
    }

    [SkippableFact]
    public async Task A_traversal_on_the_wire_gets_access_violation_and_garbage_is_dropped_and_counted()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var client = new RawTftpClient(fixture.ClientSocket(), Server);
        var malformedBefore = fixture.Metrics["rebar_tftp_errors{reason=malformed}"];

        client.SendRaw([0, 1, (byte)'x']);
        client.SendRequest(new TftpRequest(false, "../../etc/passwd", TftpMode.Octet, []));

        Assert.Equal(new TftpError(TftpErrorCode.AccessViolation, "Access violation"), await client.ReceiveAsync(Wait));
        Assert.Equal(malformedBefore + 1, fixture.Metrics["rebar_tftp_errors{reason=malformed}"]);
    }

    [SkippableFact]
    public async Task A_client_that_stops_acking_is_timed_out_and_its_transfer_freed()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var options = new TftpServerOptions
        {
            Endpoint = new IPEndPoint(IPAddress.Parse(TftpNamespaceFixture.ServerAddress), TftpNamespaceFixture.Port + 1),
            Limits = new TftpLimits { DefaultTimeout = TimeSpan.FromMilliseconds(100) },
            MaxRetries = 2,
        };
        await using var running = fixture.Run(options);
        using var client = new RawTftpClient(fixture.ClientSocket(), options.Endpoint);

        client.SendRequest(new TftpRequest(false, "one-mib.bin", TftpMode.Octet, []));
        Assert.Equal(1, Assert.IsType<TftpData>(await client.ReceiveAsync(Wait)).Block);
        client.Ack(1);
        // Block 2, then the same block again after each timeout (100 ms, 200 ms), never block 3.
        var blocks = new List<ushort>();
        while (await client.ReceiveAsync(TimeSpan.FromSeconds(1)) is TftpData data)
        {
            blocks.Add(data.Block);
        }

        Assert.Equal([2, 2, 2], blocks);
        await WaitUntil(() => running.Server.ActiveTransfers == 0);
        Assert.Equal(1, running.Metrics["rebar_tftp_transfers{outcome=timeout}"]);
        Assert.Equal(2, running.Metrics["rebar_tftp_retransmits"]);
    }

    [SkippableFact]
    public async Task Requests_beyond_the_concurrency_cap_are_dropped_and_counted()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var options = new TftpServerOptions
        {
            Endpoint = new IPEndPoint(IPAddress.Parse(TftpNamespaceFixture.ServerAddress), TftpNamespaceFixture.Port + 3),
            MaxConcurrentTransfers = 1,
        };
        await using var running = fixture.Run(options);
        using var first = new RawTftpClient(fixture.ClientSocket(), options.Endpoint);
        using var second = new RawTftpClient(fixture.ClientSocket(), options.Endpoint);

        first.SendRequest(new TftpRequest(false, "one-mib.bin", TftpMode.Octet, []));
        Assert.IsType<TftpData>(await first.ReceiveAsync(Wait));
        second.SendRequest(new TftpRequest(false, "511.bin", TftpMode.Octet, []));

        Assert.Null(await second.ReceiveAsync(TimeSpan.FromMilliseconds(500)));
        Assert.Equal(1, running.Metrics["rebar_tftp_errors{reason=busy}"]);
        first.SendToTransfer([0, 5, 0, 0, (byte)'x', 0]);
        await WaitUntil(() => running.Server.ActiveTransfers == 0);
        second.SendRequest(new TftpRequest(false, "511.bin", TftpMode.Octet, []));
        Assert.Equal(511, Assert.IsType<TftpData>(await second.ReceiveAsync(Wait)).Payload.Length);
    }

    [SkippableFact]
    public async Task A_file_source_that_throws_fails_only_its_transfer_which_is_counted_logged_once_and_answered_with_an_error()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var options = new TftpServerOptions { Endpoint = new IPEndPoint(IPAddress.Parse(TftpNamespaceFixture.ServerAddress), TftpNamespaceFixture.Port + 4) };
        var logger = new RecordingLogger();
        await using var running = fixture.Run(options, new BrokenFiles(), logger);
        using var client = new RawTftpClient(fixture.ClientSocket(), options.Endpoint);

        client.SendRequest(new TftpRequest(false, "anything", TftpMode.Octet, []));

        Assert.Equal(TftpErrorCode.NotDefined, Assert.IsType<TftpError>(await client.ReceiveAsync(Wait)).Code);
        await WaitUntil(() => running.Server.ActiveTransfers == 0);
        Assert.Equal(1, running.Metrics["rebar_tftp_transfers{outcome=failed}"]);
        var logged = Assert.Single(logger.Entries, e => e.Level >= LogLevel.Warning);
        Assert.IsType<InvalidOperationException>(logged.Exception);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(50);
        }
        Assert.True(condition());
    }

    private sealed class BrokenFiles : ITftpFileSource
    {
        public ValueTask<TftpFileResult> OpenAsync(string path, IPEndPoint client, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("a bug in the file source");
    }
}
