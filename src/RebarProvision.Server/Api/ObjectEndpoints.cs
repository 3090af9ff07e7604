using System.Text.Json;
using System.Text.Json.Nodes;
using RebarProvision.Model;
using RebarProvision.Server.Auth;
using RebarProvision.Server.Objects;
using RebarProvision.Server.Secrets;
using RebarProvision.Store;

namespace RebarProvision.Server.Api;

/// <summary>CRUD for every document kind under <c>/api/v1/{kind}</c>: list, get, create, replace, JSON Patch, delete.</summary>
public static class ObjectEndpoints
{
    public static void MapObjectEndpoints(this RouteGroupBuilder api)
    {
        foreach (var kind in ObjectKind.Documents)
        {
            var group = api.MapGroup($"/{kind.Name}").WithTags(kind.Name);

            group.MapGet("/", (HttpContext http, Inventory inventory, CancellationToken ct) => ListAsync(kind, http, inventory, ct))
                .WithName($"list-{kind.Name}")
                .Produces(StatusCodes.Status200OK, kind.ClrType.MakeArrayType());

            group.MapGet("/{*key}", (string key, HttpContext http, Inventory inventory, CancellationToken ct) => GetAsync(kind, key, http, inventory, ct))
                .WithName($"get-{kind.Name}")
                .Produces(StatusCodes.Status200OK, kind.ClrType)
                .ProducesProblem(StatusCodes.Status404NotFound);

            // Rollouts are started, driven and stopped by RolloutEndpoints and the RolloutDriver, never written as documents.
            if (kind == ObjectKind.Rollouts)
            {
                continue;
            }

            // Tokens are minted by TokenEndpoints, which hands out the secret.
            if (kind != ObjectKind.Tokens)
            {
                group.MapPost("/", (HttpContext http, Inventory inventory, CancellationToken ct) => CreateAsync(kind, http, inventory, ct))
                    .WithName($"create-{kind.Name}")
                    .Accepts(kind.ClrType, "application/json")
                    .Produces(StatusCodes.Status201Created, kind.ClrType)
                    .ProducesValidationProblem()
                    .ProducesProblem(StatusCodes.Status409Conflict);
            }

            group.MapPut("/{*key}", (string key, HttpContext http, Inventory inventory, CancellationToken ct) => ReplaceAsync(kind, key, http, inventory, ct))
                .WithName($"replace-{kind.Name}")
                .Accepts(kind.ClrType, "application/json")
                .Produces(StatusCodes.Status200OK, kind.ClrType)
                .ProducesValidationProblem()
                .ProducesProblem(StatusCodes.Status404NotFound)
                .ProducesProblem(StatusCodes.Status412PreconditionFailed);

            group.MapPatch("/{*key}", (string key, HttpContext http, Inventory inventory, CancellationToken ct) => PatchAsync(kind, key, http, inventory, ct))
                .WithName($"patch-{kind.Name}")
                .Accepts<JsonArray>("application/json-patch+json")
                .Produces(StatusCodes.Status200OK, kind.ClrType)
                .ProducesValidationProblem()
                .ProducesProblem(StatusCodes.Status404NotFound)
                .ProducesProblem(StatusCodes.Status412PreconditionFailed);

            group.MapDelete("/{*key}", (string key, HttpContext http, Inventory inventory, CancellationToken ct) => DeleteAsync(kind, key, http, inventory, ct))
                .WithName($"delete-{kind.Name}")
                .Produces(StatusCodes.Status200OK, kind.ClrType)
                .ProducesProblem(StatusCodes.Status404NotFound)
                .ProducesProblem(StatusCodes.Status412PreconditionFailed);
        }
    }

    /// <summary>Finds an object by its key; machines may also be named by their name.</summary>
    public static async Task<StoredObject?> FindAsync(ObjectKind kind, string key, IObjectStore objects, CancellationToken ct) =>
        kind == ObjectKind.Machines
            ? await objects.FindMachineAsync(key, ct)
            : await objects.GetAsync(kind, key, ct);

    private static async Task<IResult> ListAsync(ObjectKind kind, HttpContext http, Inventory inventory, CancellationToken ct)
    {
        var query = ListQuery.Parse(http.Request.Query);
        // From the node's memory, as DHCP and the boot port answer: this node's writes are in it before they are
        // answered, another node's within a NOTIFY's round trip (ObjectChangeFeed). Deserializing 100,000 machines
        // from the store per list took a second.
        var all = inventory.Cache.InKeyOrder(kind);
        var secrets = http.RequestServices.GetRequiredService<SecureParams>();
        var items = query.Apply(all).Select(o => Redaction.ForCaller(o, http.User, secrets));
        http.Response.Headers["X-Total-Count"] = all.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Results.Json(new JsonArray([.. items]), ModelJson.Options);
    }

    private static async Task<IResult> GetAsync(ObjectKind kind, string key, HttpContext http, Inventory inventory, CancellationToken ct)
    {
        var value = await FindAsync(kind, key, inventory.Objects, ct);
        if (value is null)
        {
            return Problems.NotFound($"{kind.Name}/{key} does not exist");
        }
        var etag = Etag.Of(value.Revision);
        if (http.Request.Headers.IfNoneMatch.ToString() == etag)
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }
        return Ok(http, value);
    }

    private static async Task<IResult> CreateAsync(ObjectKind kind, HttpContext http, Inventory inventory, CancellationToken ct)
    {
        var value = CredentialInput.Applies(kind)
            ? await CredentialInput.ReadAsync(http.Request, kind, null, ct)
            : await ApiJson.ReadObjectAsync(http.Request, kind, ct);
        var stored = await inventory.CreateAsync(value, Actor.Of(http), ct);
        http.Response.Headers.ETag = Etag.Of(stored.Revision);
        http.Response.Headers.Location = $"/api/v1/{kind.Name}/{Uri.EscapeDataString(stored.Key)}";
        return Redaction.Json(http, stored, StatusCodes.Status201Created);
    }

    private static async Task<IResult> ReplaceAsync(ObjectKind kind, string key, HttpContext http, Inventory inventory, CancellationToken ct)
    {
        var current = await FindAsync(kind, key, inventory.Objects, ct);
        if (current is null)
        {
            return Problems.NotFound($"{kind.Name}/{key} does not exist");
        }
        var expected = Etag.ExpectedRevision(http.Request);
        var value = CredentialInput.Applies(kind)
            ? await CredentialInput.ReadAsync(http.Request, kind, current, ct)
            : await ApiJson.ReadObjectAsync(http.Request, kind, ct);
        if (value is Machine { Uuid: "" } machine)
        {
            machine.Uuid = current.Key;
        }
        if (value.Key != current.Key)
        {
            throw new ValidationFailedException(KeyField(kind), $"'{value.Key}' does not match the object being replaced ('{current.Key}'); the key cannot change");
        }
        value.Meta ??= [];
        var stored = await inventory.UpdateAsync(value, expected, Actor.Of(http), ct);
        return Ok(http, stored);
    }

    private static async Task<IResult> PatchAsync(ObjectKind kind, string key, HttpContext http, Inventory inventory, CancellationToken ct)
    {
        var current = await FindAsync(kind, key, inventory.Objects, ct);
        if (current is null)
        {
            return Problems.NotFound($"{kind.Name}/{key} does not exist");
        }
        var expected = Etag.ExpectedRevision(http.Request);
        if (expected is { } wanted && wanted != current.Revision)
        {
            return Problems.PreconditionFailed($"{kind.Name}/{key} is at revision {current.Revision}, not {wanted}");
        }
        var operations = await JsonSerializer.DeserializeAsync<JsonNode>(http.Request.Body, ModelJson.Options, ct) as JsonArray
            ?? throw new ValidationFailedException("$", "a JSON Patch document (an array of operations) is required");
        var document = JsonSerializer.SerializeToNode(current, current.GetType(), ModelJson.Options)!;
        var patched = JsonPatch.Apply(document, operations);
        var value = CredentialInput.Applies(kind)
            ? CredentialInput.FromDocument(patched, kind, current)
            : (StoredObject)(patched.Deserialize(kind.ClrType, ApiJson.Strict) ?? throw new ValidationFailedException("$", "the patch removed the whole object"));
        if (value.Key != current.Key)
        {
            throw new ValidationFailedException(KeyField(kind), "the key cannot change");
        }
        // Conditional on the revision the patch was applied to, so a concurrent write is never silently undone.
        var stored = await inventory.UpdateAsync(value, current.Revision, Actor.Of(http), ct);
        return Ok(http, stored);
    }

    private static async Task<IResult> DeleteAsync(ObjectKind kind, string key, HttpContext http, Inventory inventory, CancellationToken ct)
    {
        var current = await FindAsync(kind, key, inventory.Objects, ct);
        if (current is null)
        {
            return Problems.NotFound($"{kind.Name}/{key} does not exist");
        }
        var deleted = await inventory.DeleteAsync(kind, current.Key, Etag.ExpectedRevision(http.Request), Actor.Of(http), ct);
        return Redaction.Json(http, deleted);
    }

    private static IResult Ok(HttpContext http, StoredObject value)
    {
        http.Response.Headers.ETag = Etag.Of(value.Revision);
        return Redaction.Json(http, value);
    }

    private static string KeyField(ObjectKind kind) =>
        kind == ObjectKind.Machines ? "uuid" : kind == ObjectKind.Reservations ? "addr" : kind == ObjectKind.Images ? "sha256" : kind == ObjectKind.Tokens ? "id" : "name";
}
