using System.Text.Json;
using RebarProvision.Store;

namespace RebarProvision.Server.Api;

/// <summary>Turns the store's and the input's failures into problem responses at one place for all API routes.</summary>
public sealed class ProblemFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (ValidationFailedException e)
        {
            return Problems.Validation(e.Errors);
        }
        catch (JsonException e)
        {
            return Problems.BadRequest(FieldOf(e.Path), e.Message.Split(" Path:", 2)[0]);
        }
        catch (StoreNotFoundException e)
        {
            return Problems.NotFound(e.Message);
        }
        catch (StorePreconditionFailedException e)
        {
            return Problems.PreconditionFailed(e.Message);
        }
        catch (StoreConflictException e)
        {
            return Problems.Conflict(e.Message);
        }
        catch (StoreUnavailableException e)
        {
            return Problems.Unavailable(e.Message);
        }
        catch (Power.PowerControlException e)
        {
            return Results.Problem(statusCode: StatusCodes.Status502BadGateway, title: "The BMC failed", detail: e.Message);
        }
        catch (BadHttpRequestException e)
        {
            return Problems.BadRequest("$", e.Message);
        }
    }

    /// <summary>"$.hardwareAddrs[0]" → "hardwareAddrs[0]", the field as the API names it.</summary>
    public static string FieldOf(string? jsonPath) =>
        string.IsNullOrEmpty(jsonPath) || jsonPath == "$" ? "$" : jsonPath.TrimStart('$').TrimStart('.');
}
