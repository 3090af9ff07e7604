using CsCheck;
using RebarProvision.Tftp.Transport;

namespace RebarProvision.Tftp.Tests;

public sealed class TftpFileResultTests
{
    [Fact]
    public void Reads_from_a_file_at_any_offset_return_the_files_bytes_through_the_read_ahead()
    {
        var path = Path.GetTempFileName();
        try
        {
            // Longer than two read-ahead buffers, and not a multiple of any block size.
            var bytes = new byte[300_001];
            new Random(7).NextBytes(bytes);
            File.WriteAllBytes(path, bytes);
            using var file = TftpFileResult.FromFile(path, FileOptions.None);

            Gen.Select(Gen.Long[0, bytes.Length + 10], Gen.Int[0, 70_000]).Sample((offset, length) =>
            {
                var read = new byte[length];
                var count = file.Read(offset, read);
                var expected = (int)Math.Clamp(bytes.Length - offset, 0, length);
                Assert.Equal(expected, count);
                Assert.True(bytes.AsSpan((int)Math.Min(offset, bytes.Length), expected).SequenceEqual(read.AsSpan(0, count)));
            }, iter: 2000, threads: 1); // one transfer reads its file from one thread at a time
        }
        finally
        {
            File.Delete(path);
        }
    }
}
