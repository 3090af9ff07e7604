using System.Diagnostics;
using RebarProvision.Testing;

namespace RebarProvision.EndToEnd.Tests;

/// <summary>
/// One qemu VM (TCG: no KVM is assumed) that boots from the network through its own tap port on bridge br0 of a
/// namespace, its serial console in a file. It stops by itself when the guest powers off (<c>-no-reboot</c>), and is
/// killed by its PID on dispose; its tap goes with it.
/// </summary>
public sealed class QemuVm : IDisposable
{
    private readonly NetworkNamespace _namespace;
    private readonly string _tap;
    private readonly string _work;

    private QemuVm(NetworkNamespace ns, string tap, string work, Process process)
    {
        _namespace = ns;
        _tap = tap;
        _work = work;
        Process = process;
    }

    public Process Process { get; }

    /// <summary>The serial console's file.</summary>
    public string SerialLog => Path.Combine(_work, "serial.log");

    /// <summary>What the guest printed so far.</summary>
    public string Serial => File.Exists(SerialLog) ? File.ReadAllText(SerialLog) : "";

    public bool HasExited => Process.HasExited;

    /// <summary>Makes bridge br0 in <paramref name="ns"/> with <paramref name="uplink"/> as a port: the VMs' segment.</summary>
    public static void Bridge(NetworkNamespace ns, string uplink)
    {
        ns.Exec("ip", "link", "add", "br0", "type", "bridge");
        ns.Exec("ip", "link", "set", uplink, "master", "br0");
        ns.Exec("ip", "link", "set", "br0", "up");
    }

    /// <param name="firmware">bios (SeaBIOS, the e1000's iPXE ROM) or uefi (OVMF, the same ROM)</param>
    public static QemuVm Start(NetworkNamespace ns, string tap, string mac, string firmware = "bios")
    {
        var work = Directory.CreateTempSubdirectory("rebar-vm-").FullName;
        ns.Exec("ip", "tuntap", "add", "dev", tap, "mode", "tap");
        ns.Exec("ip", "link", "set", tap, "master", "br0");
        ns.Exec("ip", "link", "set", tap, "up");
        string[] flash = [];
        if (firmware == "uefi")
        {
            var vars = Path.Combine(work, "vars.fd");
            File.Copy("/usr/share/OVMF/OVMF_VARS_4M.fd", vars);
            flash = ["-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd", "-drive", $"if=pflash,format=raw,file={vars}"];
        }
        var process = ns.Start(["qemu-system-x86_64", "-accel", "tcg", "-M", "q35", "-m", "512", "-smp", "1", "-display", "none", "-no-reboot",
            .. flash, "-netdev", $"tap,id=n0,ifname={tap},script=no,downscript=no", "-device", $"e1000,netdev=n0,mac={mac}", "-boot", "n",
            "-serial", $"file:{Path.Combine(work, "serial.log")}", "-monitor", "none"]);
        return new QemuVm(ns, tap, work, process);
    }

    /// <summary>The serial console's last lines, for failure messages.</summary>
    public string Tail(int lines = 40) => string.Join('\n', Serial.Split('\n').TakeLast(lines));

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill();
            Process.WaitForExit(5000);
        }
        _namespace.Exec("ip", "link", "del", _tap);
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
