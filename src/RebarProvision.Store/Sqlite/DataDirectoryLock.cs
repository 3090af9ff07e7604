namespace RebarProvision.Store.Sqlite;

/// <summary>
/// An exclusive lock (flock) on <c>rebar.db.lock</c> beside the database, held while the store is open. SQLite itself
/// would let a second process share the file, but this store keeps leases in memory, which is only exact while it is
/// the file's one writer; two servers on one data directory are refused with a clear error instead.
/// </summary>
internal sealed class DataDirectoryLock : IDisposable
{
    private readonly FileStream _file;

    private DataDirectoryLock(FileStream file) => _file = file;

    public static DataDirectoryLock Take(string databasePath)
    {
        var path = databasePath + ".lock";
        try
        {
            return new DataDirectoryLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException e)
        {
            throw new InvalidOperationException(
                $"the SQLite store in {Path.GetDirectoryName(databasePath)} is already open (lock {path}: {e.Message}); " +
                "the embedded store serves one node: stop the other server, give this one its own data directory, or use PostgreSQL for several nodes", e);
        }
    }

    public void Dispose() => _file.Dispose();
}
