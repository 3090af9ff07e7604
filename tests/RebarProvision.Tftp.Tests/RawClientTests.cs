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

    /// <summary>The endpoint of a test's own server, on a port of its own beside the fixture's.</summary>
    private static IPEndPoint Extra(int port) => new(IPAddress.Parse(TftpNamespaceFixture.ServerAddress), TftpNamespaceFixture.Port + port);

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
            Endpoint = Extra(1),
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
            Endpoint = Extra(3),
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
        var options = new TftpServerOptions { Endpoint = Extra(4) };
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

    [SkippableFact]
    public async Task Netascii_is_refused_for_a_file_too_large_to_convert_in_memory()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var client = new RawTftpClient(fixture.ClientSocket(), Server);

        client.SendRequest(new TftpRequest(false, "one-mib.bin", TftpMode.NetAscii, []));

        var error = Assert.IsType<TftpError>(await client.ReceiveAsync(Wait));
        Assert.Contains("octet", error.Message);
    }

    [SkippableFact]
    public async Task A_timeout_of_255_seconds_is_not_acknowledged()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var client = new RawTftpClient(fixture.ClientSocket(), Server);

        client.SendRequest(new TftpRequest(false, "511.bin", TftpMode.Octet, [new("timeout", "255"), new("tsize", "0")]));

        var oack = Assert.IsType<TftpOptionAck>(await client.ReceiveAsync(Wait));
        Assert.Equal([new("tsize", "511")], oack.Options);
        client.Ack(0);
        Assert.Equal(511, Assert.IsType<TftpData>(await client.ReceiveAsync(Wait)).Payload.Length);
        client.Ack(1);
    }

    [SkippableFact]
    public async Task Thirty_seconds_of_silence_end_a_transfer_however_many_retries_are_allowed()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var options = new TftpServerOptions
        {
            Endpoint = Extra(5),
            MaxRetries = 100,
        };
        await using var running = fixture.Run(options, time: time);
        using var client = new RawTftpClient(fixture.ClientSocket(), options.Endpoint);
        client.SendRequest(new TftpRequest(false, "one-mib.bin", TftpMode.Octet, []));
        Assert.Equal(1, Assert.IsType<TftpData>(await client.ReceiveAsync(Wait)).Block);
        client.Ack(1);
        Assert.Equal(2, Assert.IsType<TftpData>(await client.ReceiveAsync(Wait)).Block);

        // The client goes silent; the server's clock runs a second at a time (the session re-arms in between).
        var silent = TimeSpan.Zero;
        while (running.Server.ActiveTransfers > 0 && silent < TimeSpan.FromSeconds(120))
        {
            time.Advance(TimeSpan.FromSeconds(1));
            silent += TimeSpan.FromSeconds(1);
            await Task.Delay(20);
        }

        Assert.Equal(0, running.Server.ActiveTransfers);
        Assert.InRange(silent, TimeSpan.FromSeconds(29), TimeSpan.FromSeconds(31));
        Assert.Equal(1, running.Metrics["rebar_tftp_transfers{outcome=timeout}"]);
        Assert.True(running.Metrics["rebar_tftp_retransmits"] >= 3, "the block was resent while the client was silent");
    }

    [SkippableFact]
    public async Task One_address_gets_at_most_16_transfers_at_a_time()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var options = new TftpServerOptions { Endpoint = Extra(6) };
        await using var running = fixture.Run(options);
        var clients = Enumerable.Range(0, 17).Select(_ => new RawTftpClient(fixture.ClientSocket(), options.Endpoint)).ToList();
        try
        {
            var answered = 0;
            foreach (var client in clients)
            {
                client.SendRequest(new TftpRequest(false, "one-mib.bin", TftpMode.Octet, []));
                answered += await client.ReceiveAsync(TimeSpan.FromMilliseconds(500)) is TftpData ? 1 : 0;
            }

            Assert.Equal(16, answered);
            Assert.Equal(1, running.Metrics["rebar_tftp_errors{reason=address_busy}"]);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [SkippableFact]
    public async Task An_address_that_never_acks_gets_no_more_bytes_resent_than_its_request_held()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var options = new TftpServerOptions
        {
            Endpoint = Extra(7),
            Limits = new TftpLimits { DefaultTimeout = TimeSpan.FromMilliseconds(100) },
        };
        await using var running = fixture.Run(options);
        using var plain = new RawTftpClient(fixture.ClientSocket(), options.Endpoint);
        using var withOptions = new RawTftpClient(fixture.ClientSocket(), options.Endpoint);
        var optionsRequest = new TftpRequest(false, "one-mib.bin", TftpMode.Octet, [new("blksize", "1468"), new("tsize", "0")]);

        // A forged source never answers: DATA 1 (516 bytes) is not resent for a 20-byte request, and the OACK only
        // as often as it fits in the 41 bytes of a request with options.
        plain.SendRequest(new TftpRequest(false, "one-mib.bin", TftpMode.Octet, []));
        withOptions.SendRequest(optionsRequest);
        var data = await ReceiveAllAsync(plain);
        var oacks = await ReceiveAllAsync(withOptions);

        Assert.Equal([1], data.Select(p => Assert.IsType<TftpData>(p).Block));
        var resent = oacks.Skip(1).Sum(p => TftpPacketWriter.GetLength(Assert.IsType<TftpOptionAck>(p)));
        Assert.InRange(resent, 1, TftpPacketWriter.GetLength(optionsRequest));
        await WaitUntil(() => running.Server.ActiveTransfers == 0);
        Assert.Equal(2, running.Metrics["rebar_tftp_transfers{outcome=unanswered}"]);
    }

    private static async Task<List<TftpPacket>> ReceiveAllAsync(RawTftpClient client)
    {
        var packets = new List<TftpPacket>();
        while (await client.ReceiveAsync(TimeSpan.FromSeconds(1)) is { } packet)
        {
            packets.Add(packet);
        }
        return packets;
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
