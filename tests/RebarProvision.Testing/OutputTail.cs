using System.Diagnostics;
using System.Text;

namespace RebarProvision.Testing;

/// <summary>
/// The last part of what a process printed (stdout and stderr, line by line), read continuously so a chatty server
/// never blocks on a full pipe, and kept to a tail so a long fuzz or load run cannot grow it without bound.
/// </summary>
public sealed class OutputTail
{
    private const int Keep = 256 * 1024;
    private readonly StringBuilder _text = new();

    /// <summary>Starts reading <paramref name="process"/>'s redirected output and error into the tail.</summary>
    public static OutputTail Follow(Process process)
    {
        var tail = new OutputTail();
        process.OutputDataReceived += (_, e) => tail.Append(e.Data);
        process.ErrorDataReceived += (_, e) => tail.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return tail;
    }

    public string Text
    {
        get
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_text)
        {
            if (_text.Length > Keep)
            {
                _text.Remove(0, Keep / 2);
            }
            _text.AppendLine(line);
        }
    }
}
