namespace RebarProvision.Cli.Http;

/// <summary>The server answered with an error status; exits with <see cref="ExitCodes.ApiError"/>.</summary>
public sealed class ApiException(ApiProblem problem) : Exception(problem.ToString())
{
    public ApiProblem Problem { get; } = problem;
}
