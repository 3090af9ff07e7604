using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using RebarProvision.Tftp.Transport;

namespace RebarProvision.Tftp.Tests;

/// <summary>Keeps what the server logs, to count how often a failure is reported.</summary>
public sealed class RecordingLogger : ILogger<TftpServer>
{
    private readonly ConcurrentQueue<(LogLevel Level, string Message, Exception? Exception)> _entries = new();

    public IReadOnlyList<(LogLevel Level, string Message, Exception? Exception)> Entries => [.. _entries];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _entries.Enqueue((logLevel, formatter(state, exception), exception));
}
