using System.Text.Json.Nodes;

namespace RebarProvision.Cli.Output;

/// <summary>Rows under upper-case headers, columns padded to their widest cell, like <c>kubectl get</c>.</summary>
public static class Table
{
    /// <summary>Cells longer than this are cut, so one long description does not push the other columns off screen.</summary>
    private const int MaxCellWidth = 60;

    public static void Write(TextWriter output, IReadOnlyList<TableColumn> columns, IEnumerable<JsonObject> items)
    {
        var rows = items.Select(item => columns.Select(c => Cut(c.Cell(item))).ToArray()).ToList();
        var widths = columns.Select((c, i) => rows.Select(r => r[i].Length).Append(c.Header.Length).Max()).ToArray();
        WriteRow(output, columns.Select(c => c.Header).ToArray(), widths);
        foreach (var row in rows)
        {
            WriteRow(output, row, widths);
        }
    }

    private static void WriteRow(TextWriter output, string[] cells, int[] widths)
    {
        var line = string.Join("  ", cells.Select((cell, i) => i == cells.Length - 1 ? cell : cell.PadRight(widths[i])));
        output.WriteLine(line.TrimEnd());
    }

    private static string Cut(string cell)
    {
        var flat = cell.ReplaceLineEndings(" ");
        return flat.Length <= MaxCellWidth ? flat : flat[..(MaxCellWidth - 1)] + "…";
    }
}
