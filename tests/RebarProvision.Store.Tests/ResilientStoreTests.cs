using Microsoft.Extensions.Time.Testing;
using Polly.CircuitBreaker;
using RebarProvision.Model;

namespace RebarProvision.Store.Tests;

public sealed class ResilientStoreTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rebar-store-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task An_unreachable_database_opens_the_circuit_and_writes_fail_fast_as_unavailable()
    {
        // Nothing listens on loopback port 1: every connection is refused, a transient error.
        await using var store = new ResilientStore(
            new PostgresStore("Host=127.0.0.1;Port=1;Timeout=2"),
            new ResilientStoreOptions { MinimumThroughput = 3, RetryAttempts = 0 }, TimeProvider.System);

        for (var i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<StoreUnavailableException>(() => store.Objects.GetAsync(ObjectKind.Machines, "m"));
        }
        Assert.Equal(CircuitState.Open, store.CircuitState);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.Objects.CreateAsync(new Profile { Name = "p" }));
        Assert.True(watch.ElapsedMilliseconds < 1000, $"took {watch.ElapsedMilliseconds} ms");
        Assert.IsType<BrokenCircuitException>(e.InnerException);
        Assert.NotNull(e.RetryAfter);
        Assert.False(await store.PingAsync());
    }

    [Fact]
    public async Task The_circuit_closes_again_once_the_database_is_back()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var flaky = new FlakyStore(new SqliteStore(_directory));
        await using var store = new ResilientStore(flaky,
            new ResilientStoreOptions { MinimumThroughput = 2, RetryAttempts = 0, BreakDuration = TimeSpan.FromSeconds(5) }, time);
        await store.MigrateAsync();

        flaky.Down = true;
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.Objects.CountAsync(ObjectKind.Machines));
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.Objects.CountAsync(ObjectKind.Machines));
        Assert.Equal(CircuitState.Open, store.CircuitState);
        var calls = flaky.Calls;
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.Leases.TryClaimAsync(
            new Lease { Addr = "10.0.0.1", Token = "aa", Subnet = "lab", ExpiresAt = time.GetUtcNow().AddHours(1) }, time.GetUtcNow()));
        Assert.Equal(calls, flaky.Calls);

        flaky.Down = false;
        time.Advance(TimeSpan.FromSeconds(6));
        await store.Objects.CreateAsync(new Profile { Name = "p" });

        Assert.Equal(CircuitState.Closed, store.CircuitState);
        Assert.Equal(1, await store.Objects.CountAsync(ObjectKind.Profiles));
    }

    [Fact]
    public async Task Conflicts_pass_through_and_do_not_count_against_the_database()
    {
        await using var store = new ResilientStore(new SqliteStore(_directory), new ResilientStoreOptions { MinimumThroughput = 2 }, TimeProvider.System);
        await store.MigrateAsync();
        await store.Objects.CreateAsync(new Profile { Name = "p" });

        for (var i = 0; i < 5; i++)
        {
            await Assert.ThrowsAsync<StoreConflictException>(() => store.Objects.CreateAsync(new Profile { Name = "p" }));
        }

        Assert.Equal(CircuitState.Closed, store.CircuitState);
    }

    [Fact]
    public async Task A_transient_read_error_is_retried()
    {
        var flaky = new FlakyStore(new SqliteStore(_directory));
        await using var store = new ResilientStore(flaky, new ResilientStoreOptions { RetryAttempts = 3, RetryDelay = TimeSpan.FromMilliseconds(1) }, TimeProvider.System);
        await store.MigrateAsync();
        var before = flaky.Calls;
        flaky.FailNext = 2;

        Assert.Equal(0, await store.Objects.CountAsync(ObjectKind.Profiles));
        Assert.Equal(3, flaky.Calls - before);
    }

    [Fact]
    public async Task Each_store_calls_only_its_own_driver_s_errors_transient()
    {
        var directory = Directory.CreateTempSubdirectory("rebar-transient-").FullName;
        try
        {
            await using var sqlite = new SqliteStore(directory);
            await using var postgres = new PostgresStore("Host=127.0.0.1;Port=1");
            var busy = new Microsoft.Data.Sqlite.SqliteException("database is locked", 5);
            var refused = new Npgsql.NpgsqlException("connection refused", new System.Net.Sockets.SocketException(111));

            Assert.True(sqlite.IsTransient(busy));
            Assert.False(sqlite.IsTransient(refused));
            Assert.True(postgres.IsTransient(refused));
            Assert.False(postgres.IsTransient(busy));
            Assert.False(sqlite.IsTransient(new Microsoft.Data.Sqlite.SqliteException("constraint failed", 19)));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
