using RebarProvision.Model;
using RebarProvision.Rendering;
using RebarProvision.Server.Auth;
using RebarProvision.Server.Boot;
using RebarProvision.Server.Machines;
using RebarProvision.Server.Objects;
using RebarProvision.Server.Power;
using RebarProvision.Server.Secrets;
using RebarProvision.Store;

namespace RebarProvision.Server.Api;

/// <summary>Actions on a machine: render a file as it would receive it, reimage it, and report its install result.</summary>
public static class MachineActionEndpoints
{
    /// <param name="Power">Power-cycle the machine through its BMC once the bootenv is set.</param>
    public sealed record ReimageRequest(string? BootEnv, List<string>? Profiles, bool? Power = null);

    /// <param name="Action"><c>cycle</c>, <c>on</c> or <c>off</c>.</param>
    public sealed record PowerRequest(string? Action);

    public sealed record CallbackRequest(string? Status, string? Message, System.Text.Json.Nodes.JsonObject? Inventory);

    public static void MapMachineActionEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/machines/{id}").WithTags("machines");

        group.MapGet("/render/{**path}", RenderAsync).Produces<string>(contentType: "text/plain").ProducesProblem(404);

        group.MapPost("/reimage", async (string id, ReimageRequest body, Inventory inventory, MachineLifecycle lifecycle, PowerControl power, HttpContext http, CancellationToken ct) =>
        {
            var machine = await inventory.Objects.FindMachineAsync(id, ct) ?? throw new StoreNotFoundException($"machines/{id} does not exist");
            if (string.IsNullOrWhiteSpace(body.BootEnv))
            {
                throw new ValidationFailedException("bootEnv", "is required");
            }
            if (body.Power == true && machine.Power is null)
            {
                // Refuse before changing anything: a reimage that cannot reboot the machine would just wait for the timeout.
                throw new ValidationFailedException("power", $"machine {machine.Name} has no power endpoint; set power.kind and power.address or reimage without power");
            }
            var updated = await lifecycle.ReimageAsync(machine, body.BootEnv, body.Profiles, Actor.Of(http), ct);
            http.Response.Headers.ETag = Etag.Of(updated.Revision);
            if (body.Power == true)
            {
                await power.PowerAsync(updated, PowerAction.Cycle, ct);
            }
            return Redaction.Json(http, updated);
        }).Produces<Machine>().ProducesValidationProblem().ProducesProblem(404).ProducesProblem(502);

        // Revokes the machine's callback tokens and the secret URLs it was handed (a reimage does this too).
        group.MapPost("/rotate-secret", async (string id, Inventory inventory, MachineLifecycle lifecycle, HttpContext http, CancellationToken ct) =>
        {
            var machine = await inventory.Objects.FindMachineAsync(id, ct) ?? throw new StoreNotFoundException($"machines/{id} does not exist");
            var updated = await lifecycle.RotateSecretAsync(machine, Actor.Of(http), ct);
            http.Response.Headers.ETag = Etag.Of(updated.Revision);
            return Redaction.Json(http, updated);
        }).Produces<Machine>().ProducesProblem(404);

        group.MapPost("/power", async (string id, PowerRequest body, Inventory inventory, PowerControl power, CancellationToken ct) =>
        {
            var machine = await inventory.Objects.FindMachineAsync(id, ct) ?? throw new StoreNotFoundException($"machines/{id} does not exist");
            var action = body.Action switch
            {
                "cycle" => PowerAction.Cycle,
                "on" => PowerAction.On,
                "off" => PowerAction.Off,
                _ => throw new ValidationFailedException("action", "must be cycle, on or off"),
            };
            await power.PowerAsync(machine, action, ct);
            return Results.NoContent();
        }).Produces(204).ProducesValidationProblem().ProducesProblem(404).ProducesProblem(502);

        group.MapPost("/callback", async (string id, CallbackRequest body, Inventory inventory, MachineLifecycle lifecycle, HttpContext http, CancellationToken ct) =>
        {
            var machine = await inventory.Objects.FindMachineAsync(id, ct) ?? throw new StoreNotFoundException($"machines/{id} does not exist");
            var updated = await lifecycle.CallbackAsync(machine, body.Status ?? "", body.Message, Actor.Of(http), body.Inventory, ct);
            return Redaction.Json(http, updated);
        }).Produces<Machine>().ProducesValidationProblem().ProducesProblem(404);
    }

    /// <summary>
    /// What the machine would receive: <c>ipxe</c>, <c>pxelinux</c> and <c>grub</c> name its boot-loader documents;
    /// any other path is one of its bootenv's templates (e.g. <c>machines/&lt;uuid&gt;/user-data</c>, or just
    /// <c>user-data</c>). Exactly so for admins; for everyone else (operators, and a machine's own token, which a
    /// template could have shown an operator) secure params and the machine token are masked, because an operator
    /// who may edit templates could otherwise print any secret here.
    /// </summary>
    private static async Task<IResult> RenderAsync(string id, string path, HttpContext http, Inventory inventory, ObjectCache cache, BootFiles files, BootRenderer renderer, CancellationToken ct)
    {
        var machine = await inventory.Objects.FindMachineAsync(id, ct) ?? throw new StoreNotFoundException($"machines/{id} does not exist");
        var context = await files.ContextAsync(machine, http.Connection.LocalIpAddress, ct)
            ?? throw new ValidationFailedException("bootEnv", $"bootenv '{machine.BootEnv}' does not exist");
        if (!RebarClaims.MayReadSecrets(http.User))
        {
            // The boot secret opens the machine's files on the boot port; only admins may see it.
            context = context with { MachineUrl = null };
            context = context.WithSecretsMasked(SecureParams.SecretNames(machine, cache.Get<Profile>, cache.All<Param>().ToList()), SecureParams.Redacted);
        }
        try
        {
            RenderedFile? file = path switch
            {
                "ipxe" => renderer.RenderBootScript(context, BootLoader.Ipxe),
                "pxelinux" => renderer.RenderBootScript(context, BootLoader.Pxelinux),
                "grub" => renderer.RenderBootScript(context, BootLoader.Grub),
                _ => renderer.RenderMachineFile(context, path)
                     ?? renderer.RenderMachineFile(context, $"machines/{machine.Uuid}/{path}"),
            };
            return file is null
                ? Problems.NotFound($"bootenv '{context.BootEnv.Name}' serves no file '{path}' for {machine.Name}; it serves: {string.Join(", ", renderer.MachineFilePaths(context).Keys)}")
                : Results.Text(file.Contents, file.ContentType);
        }
        catch (RenderException e)
        {
            return Results.Problem(statusCode: 422, title: "Template error", detail: e.Message,
                extensions: new Dictionary<string, object?> { ["template"] = e.TemplateName, ["line"] = e.Line, ["column"] = e.Column });
        }
    }

}
