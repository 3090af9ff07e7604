namespace RebarProvision.Cli.Output;

public enum OutputFormat
{
    Table,
    Json,
    Yaml,
}
