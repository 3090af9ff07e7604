using System.Security.Cryptography;
using RebarProvision.Model;
using RebarProvision.Server.Configuration;
using RebarProvision.Server.Objects;
using RebarProvision.Store;

namespace RebarProvision.Server.Auth;

/// <summary>
/// A server without users gets <c>admin</c>: with the configured first password (REBAR_ADMIN_PASSWORD), or with a
/// generated one printed once on the console. The password goes to the console only, never through the logger, so
/// it does not end up in log files or log shipping.
/// </summary>
public static class AdminBootstrap
{
    public const string AdminName = "admin";

    /// <returns>The generated password, or null when none was generated (users exist, or one was configured).</returns>
    public static async Task<string?> EnsureAdminAsync(Inventory inventory, ServerOptions options, ILogger logger, TextWriter console, CancellationToken cancellationToken)
    {
        if (await inventory.Objects.CountAsync(ObjectKind.Users, cancellationToken) > 0)
        {
            await RefreshUsersAsync(inventory, cancellationToken);
            return null;
        }
        var generated = string.IsNullOrEmpty(options.AdminPassword) ? NewPassword() : null;
        var admin = new User { Name = AdminName, Role = Role.Admin, PasswordHash = PasswordHasher.Hash(generated ?? options.AdminPassword!) };
        try
        {
            await inventory.CreateAsync(admin, "server", cancellationToken);
        }
        catch (StoreConflictException)
        {
            // Another node sharing the database created it first (HA nodes starting at once).
            await RefreshUsersAsync(inventory, cancellationToken);
            return null;
        }
        if (generated is null)
        {
            logger.LogInformation("Created user {User} with the configured first admin password", AdminName);
            return null;
        }
        logger.LogWarning("Created user {User} with a generated password, printed once on the console; change it", AdminName);
        await console.WriteLineAsync($"""

            ************************************************************
              First start: created user '{AdminName}' with password
                {generated}
              It is shown only this once. Change it, or set
              REBAR_ADMIN_PASSWORD before the first start.
            ************************************************************

            """);
        await console.FlushAsync(cancellationToken);
        return generated;
    }

    /// <summary>
    /// The cache was loaded before this check, and another node sharing the database may have created users since;
    /// without them here nobody could log in to this node until its cache hears of them.
    /// </summary>
    private static async Task RefreshUsersAsync(Inventory inventory, CancellationToken cancellationToken)
    {
        foreach (var user in await inventory.Objects.ListAsync(ObjectKind.Users, cancellationToken))
        {
            inventory.Cache.Apply(user);
        }
    }

    private static string NewPassword() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');
}
