using System.ComponentModel;
using System.Diagnostics;
using RebarProvision.Model;

namespace RebarProvision.Server.Power;

/// <summary>IPMI through <c>ipmitool</c> (see <see cref="IpmiCommand"/>), killed when it runs past the timeout.</summary>
public sealed class IpmiPowerDriver : IPowerDriver
{
    private readonly TimeSpan _timeout;
    private readonly string _program;

    /// <param name="timeout">How long ipmitool may run.</param>
    /// <param name="program">The ipmitool executable (a path, or a name found on PATH).</param>
    public IpmiPowerDriver(TimeSpan timeout, string program = IpmiCommand.Program)
    {
        _timeout = timeout;
        _program = program;
    }

    public string Kind => "ipmi";

    public async Task PowerAsync(Machine machine, PowerAction action, PowerCredentials credentials, bool insecure, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(_program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in IpmiCommand.Arguments(machine.Power!.Address, credentials.Username, action))
        {
            info.ArgumentList.Add(argument);
        }
        info.Environment[IpmiCommand.PasswordVariable] = credentials.Password;
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new PowerControlException("ipmitool did not start");
        }
        catch (Win32Exception e)
        {
            throw new PowerControlException($"ipmitool cannot be run ({e.Message}); install the ipmitool package", e);
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(_timeout);
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
                cancellationToken.ThrowIfCancellationRequested();
                throw new PowerControlException($"ipmitool: the BMC at {machine.Power.Address} did not answer within {_timeout.TotalSeconds:0} s");
            }
            if (process.ExitCode != 0)
            {
                var message = (await error).Trim();
                throw new PowerControlException($"ipmitool exited with {process.ExitCode}: {(message.Length > 0 ? message : (await output).Trim())}");
            }
        }
    }
}
