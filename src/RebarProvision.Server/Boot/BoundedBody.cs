namespace RebarProvision.Server.Boot;

/// <summary>Request bodies read whole but never beyond a limit: the boot port answers without credentials first.</summary>
public static class BoundedBody
{
    /// <summary>A callback without an inventory: a status and a message.</summary>
    public const int CallbackLimit = 16 * 1024;

    /// <summary>An inventory report (or a JSON callback carrying one).</summary>
    public const int InventoryLimit = 1024 * 1024;

    /// <summary>The body, or null when it is longer than <paramref name="limit"/> bytes (checked before reading when it says its length).</summary>
    public static async Task<byte[]?> ReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    public static IResult TooLarge(int limit) =>
        Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Payload too large", detail: $"the body may be at most {limit} bytes");
}
