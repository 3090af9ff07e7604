using System.CommandLine;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using RebarProvision.Cli.Http;
using RebarProvision.Cli.Images;
using RebarProvision.Cli.Output;

namespace RebarProvision.Cli.Commands;

/// <summary><c>rebarctl images upload</c>: streams a file to <c>POST /api/v1/images/upload</c> with its sha256, showing progress.</summary>
public static class ImageCommands
{
    public static void AddTo(Command images, CommandAction action)
    {
        var file = new Argument<FileInfo>("file") { Description = "the kernel, initrd, ISO or tarball to upload" };
        file.AcceptExistingOnly();
        var name = new Option<string?>("--name") { Description = "the image's name (default: the file's name)" };
        var upload = new Command("upload", "Upload a file as a content-addressed image, with a progress bar on stderr") { file, name };
        action.Bind(upload, async (context, ct) =>
        {
            var source = context.Value(file);
            var imageName = context.Value(name) ?? source.Name;
            var sha256 = await HashAsync(source, context.Error, ct);
            var progress = new ProgressBar(context.Error, $"upload {imageName}", source.Length);
            var content = new StreamContent(new ProgressStream(source.OpenRead(), progress), 1 << 16);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            content.Headers.ContentLength = source.Length;
            var request = new HttpRequestMessage(HttpMethod.Post, ApiPath.Query("images/upload", [("name", imageName)])) { Content = content };
            // The server checks the body against this, so a transfer damaged on the way is refused rather than stored.
            request.Headers.TryAddWithoutValidation("X-Content-Sha256", sha256);
            var response = await context.Client.SendAsync(request, ct, limitTime: false);
            progress.Finish();
            var image = response.Json();
            if (context.FormatGiven)
            {
                context.Output(OutputFormat.Yaml).WriteObject(image, ApiKind.Images.Columns);
            }
            else
            {
                await context.Out.WriteLineAsync($"uploaded images/{image["sha256"]} ({image["name"]}, {image["size"]} bytes)");
            }
            return ExitCodes.Ok;
        });
        images.Add(upload);
    }

    private static async Task<string> HashAsync(FileInfo source, TextWriter log, CancellationToken cancellationToken)
    {
        var progress = new ProgressBar(log, "sha256", source.Length);
        await using var stream = new ProgressStream(source.OpenRead(), progress);
        var hash = await SHA256.HashDataAsync(stream, cancellationToken);
        progress.Finish();
        return Convert.ToHexStringLower(hash);
    }
}
