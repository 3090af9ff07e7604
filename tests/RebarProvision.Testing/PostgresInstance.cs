using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace RebarProvision.Testing;

/// <summary>
/// A private PostgreSQL server a test owns (initdb in a temporary directory, a free loopback port, run as the
/// postgres user when root), so the test may stop, start, replicate and promote it. Torn down on dispose
/// (immediate shutdown of its own postmaster, the directory removed).
/// </summary>
public sealed class PostgresInstance : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(120);

    public string DataDirectory { get; }

    public int Port { get; }

    /// <summary>"127.0.0.1:port", as a host of a multi-host connection string names it.</summary>
    public string HostAndPort => $"127.0.0.1:{Port}";

    private PostgresInstance(string dataDirectory, int port)
    {
        DataDirectory = dataDirectory;
        Port = port;
    }

    public static string? BinDirectory =>
        Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
            .Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderBy(d => d, StringComparer.Ordinal).LastOrDefault() : null;

    /// <summary>A new primary server, started.</summary>
    public static async Task<PostgresInstance> StartPrimaryAsync()
    {
        Prerequisite.Require(BinDirectory is not null, "needs PostgreSQL's server binaries (Debian package postgresql)");
        var instance = new PostgresInstance(NewDirectory(), FreePort());
        await instance.RunAsync($"initdb -D {instance.DataDirectory} -A trust -U postgres --no-sync");
        await instance.StartAsync();
        return instance;
    }

    /// <summary>A streaming replica of <paramref name="primary"/> (pg_basebackup -R), started.</summary>
    public static async Task<PostgresInstance> StartReplicaOfAsync(PostgresInstance primary)
    {
        var instance = new PostgresInstance(NewDirectory(), FreePort());
        await instance.RunAsync($"pg_basebackup -h 127.0.0.1 -p {primary.Port} -U postgres -D {instance.DataDirectory} -R -X stream");
        await instance.StartAsync();
        return instance;
    }

    public string ConnectionString(string database = "postgres") => $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database}";

    public Task StartAsync() => RunAsync(
        $"pg_ctl -D {DataDirectory} -w -l {DataDirectory}/server.log -o \"-p {Port} -k {DataDirectory} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200\" start");

    /// <summary>Fast shutdown: clients are disconnected, the server is gone until <see cref="StartAsync"/>.</summary>
    public Task StopAsync() => RunAsync($"pg_ctl -D {DataDirectory} -w -m fast stop");

    /// <summary>Turns a replica into a primary (pg_ctl promote), waiting until it accepts writes.</summary>
    public Task PromoteAsync() => RunAsync($"pg_ctl -D {DataDirectory} -w promote");

    public async Task CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task RunAsync(string command)
    {
        var bin = BinDirectory!;
        var line = $"{bin}/{command}";
        ProcessRunner.Result result;
        if (Prerequisite.IsRoot)
        {
            await ProcessRunner.RunAsync("chown", ["-R", "postgres", DataDirectory], CommandTimeout);
            result = await ProcessRunner.RunAsync("su", ["postgres", "-s", "/bin/sh", "-c", line], CommandTimeout);
        }
        else
        {
            result = await ProcessRunner.RunAsync("/bin/sh", ["-c", line], CommandTimeout);
        }
        if (result.ExitCode != 0)
        {
            var log = Path.Combine(DataDirectory, "server.log");
            throw new InvalidOperationException($"{command}: {result}\n{(File.Exists(log) ? File.ReadAllText(log) : "")}");
        }
    }

    private static string NewDirectory()
    {
        var directory = Directory.CreateTempSubdirectory("rebar-pg-").FullName;
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return directory;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            try
            {
                await RunAsync($"pg_ctl -D {DataDirectory} -m immediate stop");
            }
            catch (InvalidOperationException)
            {
            }
        }
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
