using System.Text.Json.Nodes;
using RebarProvision.Model;

namespace RebarProvision.Store.Tests;

/// <summary>
/// What every store must do, run against each real store by a small derived class. Each test opens its own empty
/// database through <see cref="StartAsync"/>.
/// </summary>
public abstract class StoreContract : IAsyncLifetime
{
    protected static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly List<IStore> _open = [];

    /// <summary>A new store over this test's database (the same database on every call within one test).</summary>
    protected abstract Task<IStore> OpenAsync();

    protected async Task<IStore> StartAsync()
    {
        var store = await OpenAsync();
        _open.Add(store);
        await store.MigrateAsync();
        return store;
    }

    /// <summary>Closes the store and opens the database again, as a restarted server would.</summary>
    protected async Task<IStore> RestartAsync(IStore store)
    {
        _open.Remove(store);
        await store.DisposeAsync();
        return await StartAsync();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var store in _open)
        {
            await store.DisposeAsync();
        }
    }

    protected static Machine NewMachine(string name, params string[] macs) =>
        new() { Uuid = Guid.NewGuid().ToString(), Name = name, HardwareAddrs = [.. macs] };

    protected static Lease NewLease(string addr, string token, LeaseState state = LeaseState.Offered, TimeSpan? validFor = null) =>
        new() { Addr = addr, Token = token, Subnet = "lab", State = state, ExpiresAt = Now + (validFor ?? TimeSpan.FromHours(1)), Node = "n1" };

    // ---- objects ----

    [SkippableFact]
    public async Task A_created_object_reads_back_with_its_fields_and_timestamps()
    {
        var store = await StartAsync();
        var created = await store.Objects.CreateAsync<Machine>(NewMachine("m1", "52:54:00:00:00:01"));

        var read = await store.Objects.GetAsync<Machine>(created.Uuid);

        Assert.NotNull(read);
        Assert.Equal("m1", read.Name);
        Assert.Equal(["52:54:00:00:00:01"], read.HardwareAddrs);
        Assert.Equal(created.Revision, read.Revision);
        Assert.True(read.Revision > 0);
        Assert.Equal(created.CreatedAt, read.CreatedAt);
        Assert.Equal(TimeSpan.Zero, read.CreatedAt.Offset);
        Assert.True(read.CreatedAt > DateTimeOffset.UtcNow.AddMinutes(-1));
    }

    [SkippableFact]
    public async Task Objects_list_by_key_and_count_per_kind()
    {
        var store = await StartAsync();
        await store.Objects.CreateAsync<Profile>(new Profile { Name = "zeta" });
        await store.Objects.CreateAsync<Profile>(new Profile { Name = "alpha" });
        await store.Objects.CreateAsync<Machine>(NewMachine("m1"));

        var profiles = await store.Objects.ListAsync<Profile>();

        Assert.Equal(["alpha", "zeta"], profiles.Select(p => p.Name));
        Assert.Equal(2, await store.Objects.CountAsync(ObjectKind.Profiles));
        Assert.Equal(1, await store.Objects.CountAsync(ObjectKind.Machines));
        Assert.Equal(0, await store.Objects.CountAsync(ObjectKind.Subnets));
    }

    [SkippableFact]
    public async Task Every_write_takes_a_higher_revision_across_kinds()
    {
        var store = await StartAsync();
        var profile = await store.Objects.CreateAsync<Profile>(new Profile { Name = "p" });
        var r1 = profile.Revision;
        var machine = await store.Objects.CreateAsync<Machine>(NewMachine("m1"));
        var r2 = machine.Revision;
        var r3 = (await store.Objects.UpdateAsync(profile)).Revision;
        var r4 = (await store.Leases.TryClaimAsync(NewLease("10.0.0.5", "aa"), Now))!.Revision;
        var r5 = (await store.Objects.DeleteAsync(ObjectKind.Machines, machine.Key, null)).Revision;

        Assert.True(r1 < r2 && r2 < r3 && r3 < r4 && r4 < r5, $"{r1} {r2} {r3} {r4} {r5}");
    }

    [SkippableFact]
    public async Task An_update_keeps_CreatedAt_and_moves_UpdatedAt()
    {
        var store = await StartAsync();
        var created = await store.Objects.CreateAsync<Profile>(new Profile { Name = "p" });
        var createdAt = created.CreatedAt;
        await Task.Delay(5);

        var updated = await store.Objects.UpdateAsync(new Profile { Name = "p", Meta = { ["rack"] = "r1" } }, created.Revision);

        var read = (await store.Objects.GetAsync<Profile>("p"))!;
        Assert.Equal(createdAt, read.CreatedAt);
        Assert.True(read.UpdatedAt > createdAt);
        Assert.Equal("r1", read.Meta["rack"]);
        Assert.Equal(updated.Revision, read.Revision);
    }

    [SkippableFact]
    public async Task An_update_with_a_stale_revision_fails_and_changes_nothing()
    {
        var store = await StartAsync();
        var created = await store.Objects.CreateAsync<Machine>(NewMachine("m1", "52:54:00:00:00:01"));
        var stale = created.Revision;
        await store.Objects.UpdateAsync(NewMachineLike(created, "m2"), stale);

        var attempt = NewMachineLike(created, "m3");
        await Assert.ThrowsAsync<StorePreconditionFailedException>(() => store.Objects.UpdateAsync(attempt, stale));
        await Assert.ThrowsAsync<StorePreconditionFailedException>(() => store.Objects.DeleteAsync(ObjectKind.Machines, created.Key, stale));

        var read = (await store.Objects.GetAsync<Machine>(created.Key))!;
        Assert.Equal("m2", read.Name);
        Assert.Null(await store.Objects.FindKeyAsync(ObjectKind.Machines, "name", "m3"));
        Assert.Equal(0, attempt.Revision);
    }

    [SkippableFact]
    public async Task Writes_to_a_missing_key_are_not_found()
    {
        var store = await StartAsync();

        await Assert.ThrowsAsync<StoreNotFoundException>(() => store.Objects.UpdateAsync(new Profile { Name = "nope" }, null));
        await Assert.ThrowsAsync<StoreNotFoundException>(() => store.Objects.DeleteAsync(ObjectKind.Profiles, "nope", null));
        Assert.Null(await store.Objects.GetAsync(ObjectKind.Profiles, "nope"));
    }

    [SkippableFact]
    public async Task Creating_an_existing_key_is_a_conflict()
    {
        var store = await StartAsync();
        await store.Objects.CreateAsync<Profile>(new Profile { Name = "p" });

        var e = await Assert.ThrowsAsync<StoreConflictException>(() => store.Objects.CreateAsync<Profile>(new Profile { Name = "p" }));

        Assert.Equal("key", e.Field);
        Assert.Equal(1, await store.Objects.CountAsync(ObjectKind.Profiles));
    }

    [SkippableFact]
    public async Task A_MAC_belongs_to_one_machine_until_it_is_freed()
    {
        var store = await StartAsync();
        var first = await store.Objects.CreateAsync<Machine>(NewMachine("m1", "52:54:00:00:00:01", "52:54:00:00:00:02"));

        var e = await Assert.ThrowsAsync<StoreConflictException>(() => store.Objects.CreateAsync<Machine>(NewMachine("m2", "52:54:00:00:00:02")));
        Assert.Equal("hardwareAddrs", e.Field);
        Assert.Equal("52:54:00:00:00:02", e.Value);
        Assert.Contains("52:54:00:00:00:02", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, await store.Objects.CountAsync(ObjectKind.Machines));

        // Freed by an update that drops it...
        first.HardwareAddrs = ["52:54:00:00:00:01"];
        await store.Objects.UpdateAsync(first, first.Revision);
        var second = await store.Objects.CreateAsync<Machine>(NewMachine("m2", "52:54:00:00:00:02"));
        Assert.Equal(second.Key, (await store.Objects.FindMachineByMacAsync("52-54-00-00-00-02"))!.Key);

        // ...and by a delete.
        await Assert.ThrowsAsync<StoreConflictException>(() => store.Objects.CreateAsync<Machine>(NewMachine("m3", "52:54:00:00:00:01")));
        await store.Objects.DeleteAsync(ObjectKind.Machines, first.Key, null);
        await store.Objects.CreateAsync<Machine>(NewMachine("m3", "52:54:00:00:00:01"));
    }

    [SkippableFact]
    public async Task An_update_that_takes_another_machines_name_is_a_conflict_and_changes_nothing()
    {
        var store = await StartAsync();
        await store.Objects.CreateAsync<Machine>(NewMachine("m1"));
        var second = await store.Objects.CreateAsync<Machine>(NewMachine("m2", "52:54:00:00:00:09"));

        var e = await Assert.ThrowsAsync<StoreConflictException>(() => store.Objects.UpdateAsync(NewMachineLike(second, "m1"), second.Revision));

        Assert.Equal("name", e.Field);
        var read = (await store.Objects.GetAsync<Machine>(second.Key))!;
        Assert.Equal("m2", read.Name);
        Assert.Equal(second.Key, await store.Objects.FindKeyAsync(ObjectKind.Machines, "hardwareAddrs", "52:54:00:00:00:09"));
    }

    [SkippableFact]
    public async Task Machines_are_found_by_MAC_and_by_name()
    {
        var store = await StartAsync();
        var machine = await store.Objects.CreateAsync<Machine>(NewMachine("rack1-node7", "52:54:00:aa:bb:cc"));

        Assert.Equal(machine.Key, await store.Objects.FindKeyAsync(ObjectKind.Machines, "hardwareAddrs", "52:54:00:aa:bb:cc"));
        Assert.Equal(machine.Key, (await store.Objects.FindMachineAsync("rack1-node7"))!.Key);
        Assert.Equal(machine.Key, (await store.Objects.FindMachineAsync(machine.Uuid))!.Key);
        Assert.Null(await store.Objects.FindKeyAsync(ObjectKind.Machines, "hardwareAddrs", "52:54:00:aa:bb:cd"));
        Assert.Null(await store.Objects.FindKeyAsync(ObjectKind.Subnets, "name", "rack1-node7"));
    }

    [SkippableFact]
    public async Task A_deleted_object_is_gone_and_returned_once()
    {
        var store = await StartAsync();
        var created = await store.Objects.CreateAsync<Profile>(new Profile { Name = "p", Meta = { ["a"] = "b" } });

        var deleted = await store.Objects.DeleteAsync(ObjectKind.Profiles, "p", created.Revision);

        Assert.Equal("b", deleted.Meta["a"]);
        Assert.Null(await store.Objects.GetAsync(ObjectKind.Profiles, "p"));
        await Assert.ThrowsAsync<StoreNotFoundException>(() => store.Objects.DeleteAsync(ObjectKind.Profiles, "p", null));
    }

    [SkippableFact]
    public async Task Data_survives_a_restart()
    {
        var store = await StartAsync();
        var machine = await store.Objects.CreateAsync<Machine>(NewMachine("m1", "52:54:00:00:00:01"));
        var lease = await store.Leases.TryClaimAsync(NewLease("10.0.0.7", "52:54:00:00:00:01"), Now);
        await store.Events.AppendAsync(new StoredEvent { Kind = "machine.created", Key = machine.Key });

        store = await RestartAsync(store);

        Assert.Equal("m1", (await store.Objects.GetAsync<Machine>(machine.Key))!.Name);
        Assert.Equal(lease, await store.Leases.GetAsync("10.0.0.7"));
        Assert.Single(await store.Events.ListAsync(0));
        var next = await store.Objects.CreateAsync<Profile>(new Profile { Name = "after" });
        Assert.True(next.Revision > lease!.Revision);
    }

    [SkippableFact]
    public async Task Migrating_twice_changes_nothing()
    {
        var store = await StartAsync();
        await store.Objects.CreateAsync<Profile>(new Profile { Name = "p" });

        await store.MigrateAsync();

        Assert.Equal(1, await store.Objects.CountAsync(ObjectKind.Profiles));
        Assert.True(await store.PingAsync());
    }

    // ---- leases ----

    [SkippableFact]
    public async Task A_free_address_is_claimed_and_reads_back()
    {
        var store = await StartAsync();

        var claimed = await store.Leases.TryClaimAsync(NewLease("10.0.0.10", "aa"), Now);

        Assert.NotNull(claimed);
        Assert.Equal(LeaseState.Offered, claimed.State);
        Assert.Equal(Now.AddHours(1), claimed.ExpiresAt);
        Assert.Equal("n1", claimed.Node);
        Assert.Equal(claimed, await store.Leases.GetAsync("10.0.0.10"));
        Assert.Equal(claimed, await store.Leases.FindByTokenAsync("aa"));
        Assert.Equal([claimed], await store.Leases.ListAsync("lab"));
        Assert.Empty(await store.Leases.ListAsync("other"));
    }

    [SkippableFact]
    public async Task An_address_held_by_another_token_is_not_claimed()
    {
        var store = await StartAsync();
        var first = await store.Leases.TryClaimAsync(NewLease("10.0.0.10", "aa"), Now);

        Assert.Null(await store.Leases.TryClaimAsync(NewLease("10.0.0.10", "bb"), Now));

        Assert.Equal(first, await store.Leases.GetAsync("10.0.0.10"));
        Assert.Null(await store.Leases.FindByTokenAsync("bb"));
    }

    [SkippableFact]
    public async Task The_holder_claims_its_own_address_again()
    {
        var store = await StartAsync();
        var first = (await store.Leases.TryClaimAsync(NewLease("10.0.0.10", "aa"), Now))!;

        var again = await store.Leases.TryClaimAsync(NewLease("10.0.0.10", "aa", LeaseState.Bound, TimeSpan.FromHours(2)), Now);

        Assert.NotNull(again);
        Assert.Equal(LeaseState.Bound, again.State);
        Assert.True(again.Revision > first.Revision);
        Assert.Equal(first.CreatedAt, again.CreatedAt);
    }

    [SkippableFact]
    public async Task A_token_claiming_a_second_address_ends_its_first_lease()
    {
        var store = await StartAsync();
        await store.Leases.TryClaimAsync(NewLease("10.0.0.10", "aa", LeaseState.Bound), Now);

        var second = await store.Leases.TryClaimAsync(NewLease("10.0.0.11", "aa"), Now);

        Assert.NotNull(second);
        var first = (await store.Leases.GetAsync("10.0.0.10"))!;
        Assert.Equal(LeaseState.Expired, first.State);
        Assert.Single(await store.Leases.ListAsync(), l => l.IsActiveAt(Now));
        Assert.Equal("10.0.0.11", (await store.Leases.FindByTokenAsync("aa"))!.Addr);
        // The ended address is free for someone else at once.
        Assert.NotNull(await store.Leases.TryClaimAsync(NewLease("10.0.0.10", "bb"), Now));
    }

    [SkippableFact]
    public async Task An_expired_or_released_lease_can_be_taken_by_another_token()
    {
        var store = await StartAsync();
        await store.Leases.TryClaimAsync(NewLease("10.0.0.10", "aa", LeaseState.Bound, TimeSpan.FromMinutes(1)), Now);
        await store.Leases.TryClaimAsync(NewLease("10.0.0.11", "cc", LeaseState.Bound), Now);
        await store.Leases.TryUpdateAsync(NewLease("10.0.0.11", "cc", LeaseState.Released));

        var later = Now.AddMinutes(2);
        var taken = await store.Leases.TryClaimAsync(NewLease("10.0.0.10", "bb") with { ExpiresAt = later.AddHours(1) }, later);
        var released = await store.Leases.TryClaimAsync(NewLease("10.0.0.11", "dd"), Now);

        Assert.Equal("bb", taken!.Token);
        Assert.Equal("dd", released!.Token);
    }

    [SkippableFact]
    public async Task Only_the_holder_updates_a_lease()
    {
        var store = await StartAsync();
        var offered = (await store.Leases.TryClaimAsync(NewLease("10.0.0.10", "aa"), Now))!;

        Assert.Null(await store.Leases.TryUpdateAsync(NewLease("10.0.0.10", "bb", LeaseState.Bound)));
        Assert.Null(await store.Leases.TryUpdateAsync(NewLease("10.0.0.99", "aa", LeaseState.Bound)));
        var bound = await store.Leases.TryUpdateAsync(NewLease("10.0.0.10", "aa", LeaseState.Bound, TimeSpan.FromHours(8)) with { Node = "n2" });

        Assert.NotNull(bound);
        Assert.Equal(LeaseState.Bound, bound.State);
        Assert.Equal(Now.AddHours(8), bound.ExpiresAt);
        Assert.Equal("n2", bound.Node);
        Assert.True(bound.Revision > offered.Revision);
        Assert.Equal(bound, await store.Leases.GetAsync("10.0.0.10"));
    }

    [SkippableFact]
    public async Task Unused_addresses_are_found_lowest_first_around_used_ones_and_not_in_a_full_range()
    {
        var store = await StartAsync();
        var first = Ip("10.0.0.1");

        Assert.Equal([first, first + 1, first + 2], await store.Leases.FindUnusedAddressesAsync("lab", first, first + 9, 3));

        foreach (var i in new uint[] { 0, 1, 2, 4, 5 })
        {
            await store.Leases.TryClaimAsync(NewLease(Ipv4Network.Format(first + i), $"t{i}"), Now);
        }
        Assert.Equal([first + 3], await store.Leases.FindUnusedAddressesAsync("lab", first, first + 9, 1));
        Assert.Equal([first + 3, first + 6, first + 7, first + 8, first + 9], await store.Leases.FindUnusedAddressesAsync("lab", first, first + 9, 10));
        Assert.Equal([first + 6], await store.Leases.FindUnusedAddressesAsync("lab", first + 4, first + 9, 1));
        Assert.Equal([first + 3], await store.Leases.FindUnusedAddressesAsync("lab", first + 3, first + 3, 5));
        Assert.Empty(await store.Leases.FindUnusedAddressesAsync("lab", first, first + 2, 5));
        Assert.Empty(await store.Leases.FindUnusedAddressesAsync("lab", first + 4, first + 5, 5));
        Assert.Equal([first], await store.Leases.FindUnusedAddressesAsync("other", first, first + 9, 1));
    }

    [SkippableFact]
    public async Task Unused_addresses_past_thousands_of_leases_in_a_sixteen_bit_range_are_found_across_search_windows()
    {
        var store = await StartAsync();
        var first = Ip("10.1.0.1");
        const int count = 3000;
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, ct) =>
            await store.Leases.TryClaimAsync(NewLease(Ipv4Network.Format(first + (uint)i), $"t{i}"), Now, ct));
        await store.Leases.DeleteAsync(Ipv4Network.Format(first + 1500));

        Assert.Equal(
            [first + 1500, first + count, first + count + 1],
            await store.Leases.FindUnusedAddressesAsync("lab", first, first + 65_000, 3));
    }

    [SkippableFact]
    public async Task The_most_expired_lease_is_the_one_inactive_longest()
    {
        var store = await StartAsync();
        await store.Leases.TryClaimAsync(NewLease("10.0.0.1", "a", LeaseState.Bound, TimeSpan.FromHours(5)), Now);
        await store.Leases.TryClaimAsync(NewLease("10.0.0.2", "b", LeaseState.Bound, TimeSpan.FromMinutes(-30)), Now.AddHours(-1));
        await store.Leases.TryClaimAsync(NewLease("10.0.0.3", "c", LeaseState.Bound, TimeSpan.FromMinutes(-90)), Now.AddHours(-2));
        await store.Leases.TryClaimAsync(NewLease("10.0.0.4", "d", LeaseState.Declined, TimeSpan.FromHours(1)), Now);

        Assert.Equal("10.0.0.3", (await store.Leases.FindMostExpiredAsync("lab", Now))!.Addr);
        Assert.Null(await store.Leases.FindMostExpiredAsync("other", Now));
        Assert.Null(await store.Leases.FindMostExpiredAsync("lab", Now.AddHours(-3)));
    }

    [SkippableFact]
    public async Task Expiring_ends_only_leases_past_their_expiry()
    {
        var store = await StartAsync();
        await store.Leases.TryClaimAsync(NewLease("10.0.0.1", "a", LeaseState.Bound, TimeSpan.FromHours(1)), Now);
        await store.Leases.TryClaimAsync(NewLease("10.0.0.2", "b", LeaseState.Bound, TimeSpan.FromMinutes(10)), Now);
        await store.Leases.TryClaimAsync(NewLease("10.0.0.3", "c", LeaseState.Offered, TimeSpan.FromMinutes(1)), Now);

        Assert.Equal(2, await store.Leases.ExpireAsync(Now.AddMinutes(30)));
        Assert.Equal(0, await store.Leases.ExpireAsync(Now.AddMinutes(30)));

        var states = (await store.Leases.ListAsync()).ToDictionary(l => l.Addr, l => l.State);
        Assert.Equal(LeaseState.Bound, states["10.0.0.1"]);
        Assert.Equal(LeaseState.Expired, states["10.0.0.2"]);
        Assert.Equal(LeaseState.Expired, states["10.0.0.3"]);
    }

    [SkippableFact]
    public async Task A_deleted_lease_frees_its_address()
    {
        var store = await StartAsync();
        await store.Leases.TryClaimAsync(NewLease("10.0.0.1", "a"), Now);

        Assert.True(await store.Leases.DeleteAsync("10.0.0.1"));
        Assert.False(await store.Leases.DeleteAsync("10.0.0.1"));
        Assert.Null(await store.Leases.GetAsync("10.0.0.1"));
        Assert.NotNull(await store.Leases.TryClaimAsync(NewLease("10.0.0.1", "b"), Now));
    }

    [SkippableFact]
    public async Task Sixteen_clients_racing_for_ten_addresses_get_ten_distinct_leases()
    {
        var store = await StartAsync();
        var first = Ip("10.0.0.1");
        var last = first + 9;

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            for (var attempt = 0; attempt < 50; attempt++)
            {
                if (await store.Leases.FindUnusedAddressesAsync("lab", first, last, 1) is not [var free])
                {
                    return null;
                }
                if (await store.Leases.TryClaimAsync(NewLease(Ipv4Network.Format(free), $"client{i}"), Now) is { } lease)
                {
                    return lease;
                }
            }
            return null;
        })));

        var won = results.Where(r => r is not null).Select(r => r!.Addr).ToList();
        Assert.Equal(10, won.Count);
        Assert.Equal(10, won.Distinct().Count());
        Assert.Equal(10, (await store.Leases.ListAsync("lab")).Count);
    }

    [SkippableFact]
    public async Task A_hundred_clients_moving_at_once_end_their_old_leases_and_free_them_for_others()
    {
        // Concurrent claims are what the stores batch into one commit: each claim must keep its own meaning.
        var store = await StartAsync();
        var first = Ip("10.2.0.1");
        const uint Count = 100;
        string Addr(uint i) => Ipv4Network.Format(first + i);

        var initial = await Task.WhenAll(Enumerable.Range(0, (int)Count).Select(i => Task.Run(() => store.Leases.TryClaimAsync(NewLease(Addr((uint)i), $"c{i}"), Now))));
        Assert.All(initial, Assert.NotNull);
        var moved = await Task.WhenAll(Enumerable.Range(0, (int)Count).Select(i => Task.Run(() => store.Leases.TryClaimAsync(NewLease(Addr(Count + (uint)i), $"c{i}", LeaseState.Bound), Now))));
        Assert.All(moved, Assert.NotNull);
        var taken = await Task.WhenAll(Enumerable.Range(0, (int)Count).Select(i => Task.Run(() => store.Leases.TryClaimAsync(NewLease(Addr((uint)i), $"n{i}"), Now))));

        Assert.All(taken, Assert.NotNull);
        var leases = await store.Leases.ListAsync("lab");
        Assert.Equal(2 * (int)Count, leases.Count);
        for (uint i = 0; i < Count; i++)
        {
            var old = leases.Single(l => l.Addr == Addr(i));
            Assert.Equal(($"n{i}", LeaseState.Offered), (old.Token, old.State));
            var current = leases.Single(l => l.Addr == Addr(Count + i));
            Assert.Equal(($"c{i}", LeaseState.Bound), (current.Token, current.State));
        }
        Assert.All(leases.Where(l => l.State is LeaseState.Offered or LeaseState.Bound).GroupBy(l => l.Token), g => Assert.Single(g));
    }

    [SkippableFact]
    public async Task Sixteen_clients_racing_for_one_address_leave_one_holder()
    {
        var store = await StartAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            Task.Run(() => store.Leases.TryClaimAsync(NewLease("10.0.0.1", $"client{i}"), Now))));

        var winner = Assert.Single(results, r => r is not null);
        Assert.Equal(winner, await store.Leases.GetAsync("10.0.0.1"));
    }

    [SkippableFact]
    public async Task Parallel_writes_where_some_conflict_store_exactly_the_others()
    {
        var store = await StartAsync();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(async () =>
        {
            try
            {
                await store.Objects.CreateAsync<Machine>(NewMachine($"m{i}", $"52:54:00:00:01:{i % 20:x2}"));
                return true;
            }
            catch (StoreConflictException)
            {
                return false;
            }
        })));

        Assert.Equal(20, outcomes.Count(won => won));
        var machines = await store.Objects.ListAsync<Machine>();
        Assert.Equal(20, machines.Count);
        Assert.Equal(20, machines.SelectMany(m => m.HardwareAddrs).Distinct().Count());
        foreach (var machine in machines)
        {
            Assert.Equal(machine.Key, await store.Objects.FindKeyAsync(ObjectKind.Machines, "name", machine.Name));
        }
    }

    // ---- events ----

    [SkippableFact]
    public async Task Events_are_appended_in_order_and_listed_after_an_id()
    {
        var store = await StartAsync();
        var first = await store.Events.AppendAsync(new StoredEvent
        {
            Kind = "machine.created",
            Key = "m1",
            Actor = "admin",
            Object = new JsonObject { ["name"] = "m1" },
        });
        var second = await store.Events.AppendAsync(new StoredEvent { Kind = "lease.bound", Key = "10.0.0.1" });
        await store.Events.AppendAsync(new StoredEvent { Kind = "machine.booted", Key = "m1" });

        Assert.True(second.Id > first.Id);
        Assert.NotEqual(default, first.Time);
        var all = await store.Events.ListAsync(0);
        Assert.Equal(["machine.created", "lease.bound", "machine.booted"], all.Select(e => e.Kind));
        Assert.Equal("admin", all[0].Actor);
        Assert.Equal("m1", all[0].Object!["name"]!.GetValue<string>());
        Assert.Equal(first.Time, all[0].Time);
        Assert.Equal(2, (await store.Events.ListAsync(first.Id)).Count);
        Assert.Single(await store.Events.ListAsync(0, limit: 1));
        Assert.Equal(["machine.created", "machine.booted"], (await store.Events.ListAsync(0, key: "m1")).Select(e => e.Kind));
        Assert.Equal(["lease.bound"], (await store.Events.ListAsync(0, kind: "lease.bound")).Select(e => e.Kind));
    }

    [SkippableFact]
    public async Task Pruning_removes_events_older_than_the_cutoff()
    {
        var store = await StartAsync();
        await store.Events.AppendAsync(new StoredEvent { Kind = "a", Key = "1", Time = Now.AddDays(-10) });
        await store.Events.AppendAsync(new StoredEvent { Kind = "b", Key = "2", Time = Now.AddDays(-1) });

        Assert.Equal(1, await store.Events.PruneAsync(Now.AddDays(-5)));

        Assert.Equal(["b"], (await store.Events.ListAsync(0)).Select(e => e.Kind));
    }

    protected static uint Ip(string text) =>
        Ipv4Network.TryParseAddress(text, out var value) ? value : throw new FormatException(text);

    private static Machine NewMachineLike(Machine machine, string name) =>
        new() { Uuid = machine.Uuid, Name = name, HardwareAddrs = [.. machine.HardwareAddrs] };
}
