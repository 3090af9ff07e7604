namespace RebarProvision.EndToEnd.Tests;

/// <summary>Two private keys (public halves next to them, .pub): the admin's, put in the machine's params, and one that is not.</summary>
public sealed record SshKeys(string Admin, string Wrong)
{
    public string Public => File.ReadAllText(Admin + ".pub").Trim();
}
