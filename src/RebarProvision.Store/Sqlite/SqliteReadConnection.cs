using Microsoft.Data.Sqlite;

namespace RebarProvision.Store.Sqlite;

/// <summary>An open reader connection with its statements prepared once; lent to one read at a time.</summary>
internal sealed class SqliteReadConnection : IDisposable
{
    /// <summary>Distinct statements kept prepared; past this (filters build SQL per query) the cache starts over.</summary>
    private const int MaxStatements = 128;

    private readonly SqliteConnection _connection;
    private readonly Dictionary<string, SqliteCommand> _statements = new(StringComparer.Ordinal);

    public SqliteReadConnection(string connectionString)
    {
        _connection = new SqliteConnection(connectionString);
        _connection.Open();
    }

    /// <summary>The prepared statement for <paramref name="sql"/>, its parameters cleared; not to be disposed.</summary>
    public SqliteCommand Statement(string sql)
    {
        if (!_statements.TryGetValue(sql, out var command))
        {
            if (_statements.Count >= MaxStatements)
            {
                DisposeStatements();
            }
            command = _connection.CreateCommand();
            command.CommandText = sql;
            _statements[sql] = command;
        }
        command.Parameters.Clear();
        return command;
    }

    public void Dispose()
    {
        DisposeStatements();
        _connection.Dispose();
    }

    private void DisposeStatements()
    {
        foreach (var command in _statements.Values)
        {
            command.Dispose();
        }
        _statements.Clear();
    }
}
