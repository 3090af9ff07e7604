using RebarProvision.Model;

namespace RebarProvision.Server.Api;

/// <summary>RFC 7807 problem responses, one factory per kind of failure the API reports.</summary>
public static class Problems
{
    public static IResult Validation(IReadOnlyList<FieldError> errors) =>
        Results.ValidationProblem(
            errors.GroupBy(e => e.Field.Length == 0 ? "$" : e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()),
            detail: string.Join("; ", errors),
            title: "The request has invalid fields");

    public static IResult NotFound(string what) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: what);

    public static IResult Conflict(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: detail);

    public static IResult PreconditionFailed(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status412PreconditionFailed, title: "Precondition failed", detail: detail);

    public static IResult BadRequest(string field, string message) => Validation([new FieldError(field, message)]);

    public static IResult Unavailable(string detail, int retryAfterSeconds = 5) =>
        new RetryAfterResult(Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable", detail: detail), retryAfterSeconds);

    private sealed class RetryAfterResult(IResult inner, int seconds) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(httpContext);
        }
    }
}
