using RebarProvision.Rendering;
using RebarProvision.Testing;

namespace RebarProvision.Rendering.Tests;

public sealed class Sha512CryptTests
{
    [Theory]
    // Vectors from Ulrich Drepper's specification and from `openssl passwd -6`.
    [InlineData("Hello world!", "saltstring", "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1")]
    [InlineData("Hello world!", "rounds=10000$saltstringsaltstring", "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.")]
    [InlineData("password", "saltsalt", "$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/")]
    public void Hash_matches_the_reference_vectors(string password, string salt, string expected)
    {
        Assert.Equal(expected, Sha512Crypt.Hash(password, salt));
    }

    [SkippableTheory]
    [InlineData("x")]
    [InlineData("s3cr3t")]
    [InlineData("a password longer than sixty-four bytes, so the repeated-digest step wraps around once")]
    [InlineData("ünïcødé ✓")]
    public async Task Hash_matches_openssl_passwd(string password)
    {
        var openssl = Prerequisite.RequireCommand("openssl");
        var result = await ProcessRunner.RunAsync(openssl, ["passwd", "-6", "-salt", "Zx9./ab", "-stdin"], TimeSpan.FromSeconds(10), password + "\n");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(result.StandardOutput.Trim(), Sha512Crypt.Hash(password, "Zx9./ab"));
    }

    [Fact]
    public void The_template_helper_hashes_with_a_given_or_a_fresh_salt()
    {
        var sandbox = new TemplateSandbox(new InMemoryTemplates(), issueToken: null, RenderLimits.Default);
        Assert.Equal(Sha512Crypt.Hash("password", "saltsalt"), sandbox.Render("t", "{{ sha512crypt \"password\" \"saltsalt\" }}", Samples.Context()));
        var fresh = sandbox.Render("t", "{{ sha512crypt \"password\" }}", Samples.Context());
        Assert.Matches(@"^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$", fresh);
        var salt = fresh.Split('$')[2];
        Assert.Equal(Sha512Crypt.Hash("password", salt), fresh);
    }
}
