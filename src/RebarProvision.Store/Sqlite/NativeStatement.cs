using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace RebarProvision.Store.Sqlite;

/// <summary>
/// A statement prepared once on the writer and driven through SQLite's own API, for the few statements every lease
/// claim runs. Microsoft.Data.Sqlite allocates a parameter, a binder, a reader and a record with a dictionary per
/// execution, and boxes every integer: at thousands of claims a second that was a third of all allocations and the
/// garbage collections whose pauses stalled the DHCP listener. Parameters are 1-based positions, as in SQLite.
/// </summary>
internal sealed class NativeStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;

    public NativeStatement(sqlite3 db, string sql)
    {
        _db = db;
        var rc = raw.sqlite3_prepare_v3(db, sql, raw.SQLITE_PREPARE_PERSISTENT, out _statement, out _);
        SqliteException.ThrowExceptionForRC(rc, db);
    }

    public NativeStatement Bind(int position, long value)
    {
        raw.sqlite3_bind_int64(_statement, position, value);
        return this;
    }

    /// <summary>Binds UTF-16 text as it is, with no UTF-8 copy on our side.</summary>
    public NativeStatement Bind(int position, string value)
    {
        raw.sqlite3_bind_text16(_statement, position, value.AsSpan());
        return this;
    }

    /// <summary>Steps once: true with a row to read, false when done. Errors throw <see cref="SqliteException"/> (the statement is reset).</summary>
    public bool Step()
    {
        var rc = raw.sqlite3_step(_statement);
        if (rc == raw.SQLITE_ROW)
        {
            return true;
        }
        if (rc == raw.SQLITE_DONE)
        {
            return false;
        }
        var message = raw.sqlite3_errmsg(_db).utf8_to_string();
        var extended = raw.sqlite3_extended_errcode(_db);
        Reset();
        throw new SqliteException($"SQLite Error {rc}: '{message}'.", rc, extended);
    }

    /// <summary>Runs a statement that returns no rows, and resets it.</summary>
    public void Execute()
    {
        Step();
        Reset();
    }

    public long Int64(int column) => raw.sqlite3_column_int64(_statement, column);

    public string Text(int column) => raw.sqlite3_column_text(_statement, column).utf8_to_string();

    /// <summary>Whether the text column equals <paramref name="value"/>, compared without making a string of it.</summary>
    public bool TextEquals(int column, string value)
    {
        var utf8 = raw.sqlite3_column_blob(_statement, column);
        Span<byte> encoded = stackalloc byte[256];
        return System.Text.Encoding.UTF8.TryGetBytes(value, encoded, out var length)
            ? utf8.SequenceEqual(encoded[..length])
            : Text(column) == value;
    }

    /// <summary>Ready for the next execution: rows released, parameters unbound.</summary>
    public void Reset()
    {
        raw.sqlite3_reset(_statement);
        raw.sqlite3_clear_bindings(_statement);
    }

    public void Dispose() => _statement.Dispose();
}
