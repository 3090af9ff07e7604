using System.Net.Http.Headers;
using System.Security.Authentication;
using System.Text;
using RebarProvision.Cli.Settings;

namespace RebarProvision.Cli.Http;

/// <summary>
/// The API over HTTP: adds credentials, turns error statuses into <see cref="ApiException"/> (problem details) and
/// transport failures into exit code 5 with the reason.
/// </summary>
public sealed class RebarClient : IDisposable
{
    /// <summary>How long a plain request may take; streams and uploads have no limit.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(100);

    private readonly HttpClient _http;

    public RebarClient(ConnectionSettings settings)
    {
        Settings = settings;
        var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) };
        if (settings.Insecure)
        {
            // --insecure: the server's certificate is self-signed on first start (DESIGN §8); the operator chose to trust it.
#pragma warning disable CA5359 // accepting any certificate is exactly what --insecure asks for
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
        }
        _http = new HttpClient(handler) { BaseAddress = new Uri(settings.Endpoint, "/api/v1/"), Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("rebarctl", typeof(RebarClient).Assembly.GetName().Version?.ToString(3)));
        if (settings.Token is { } token)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        else if (settings.User is { } user)
        {
            var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{settings.Password}"));
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", basic);
        }
    }

    public ConnectionSettings Settings { get; }

    public async Task<ApiResponse> GetAsync(string path, CancellationToken cancellationToken, string accept = "application/json")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { Accept = { MediaTypeWithQualityHeaderValue.Parse(accept) } } };
        return await SendAsync(request, cancellationToken);
    }

    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, string body, string contentType, CancellationToken cancellationToken, string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, contentType) };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }
        return await SendAsync(request, cancellationToken);
    }

    /// <summary>Sends and reads the whole answer, within <see cref="RequestTimeout"/>.</summary>
    public async Task<ApiResponse> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken, bool limitTime = true)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (limitTime)
        {
            timeout.CancelAfter(RequestTimeout);
        }
        try
        {
            using var response = await OpenAsync(request, timeout.Token);
            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            return new ApiResponse(body, response.Headers.ETag?.ToString(), response.Content.Headers.ContentType?.MediaType);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new CommandFailedException(ExitCodes.CannotConnect, $"{Settings.Endpoint} did not answer {request.Method} {request.RequestUri} within {RequestTimeout.TotalSeconds:0}s");
        }
    }

    /// <summary>Sends and returns once the headers arrived, for streams; the caller disposes the response.</summary>
    public async Task<HttpResponseMessage> OpenAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw CannotConnect(e);
        }
        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                throw new ApiException(ApiProblem.From(response.StatusCode, body));
            }
        }
        return response;
    }

    private CommandFailedException CannotConnect(HttpRequestException e)
    {
        var reason = e.InnerException?.Message ?? e.Message;
        var hint = e.InnerException is AuthenticationException
            ? "; the server's certificate is not trusted (pass --insecure or set REBAR_INSECURE=1 for its self-signed one)"
            : "";
        return new CommandFailedException(ExitCodes.CannotConnect, $"cannot connect to {Settings.Endpoint}: {reason}{hint}");
    }

    public void Dispose() => _http.Dispose();
}
