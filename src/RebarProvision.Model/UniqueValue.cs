namespace RebarProvision.Model;

/// <summary>A value that no two objects of one kind may share, e.g. ("hardwareAddrs", "52:54:00:12:34:56").</summary>
public readonly record struct UniqueValue(string Field, string Value);
