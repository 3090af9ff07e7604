namespace RebarProvision.Tftp;

/// <summary>
/// The outcome of option negotiation: the settings to run with and the options to put in the OACK (empty: no OACK,
/// the transfer starts with DATA 1), or a refusal to send as ERROR 8 (RFC 2347 §3).
/// </summary>
public sealed record TftpNegotiation(TftpTransferSettings Settings, IReadOnlyList<TftpOption> Acknowledged, string? Refusal)
{
    public bool IsRefused => Refusal is not null;

    public static TftpNegotiation Negotiate(IReadOnlyList<TftpOption> requested, long fileLength, TftpLimits limits)
    {
        var blockSize = TftpTransferSettings.DefaultBlockSize;
        var windowSize = 1;
        var timeout = limits.DefaultTimeout;
        var acknowledged = new List<TftpOption>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var option in requested)
        {
            // A repeated option is ignored after its first occurrence, so the OACK never names one twice.
            if (!seen.Add(option.Name))
            {
                continue;
            }
            var isNumber = long.TryParse(option.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value);
            if (option.Is("blksize"))
            {
                // RFC 2348: values below 8 are invalid; larger than we allow are answered with our maximum.
                if (!isNumber || value < TftpLimits.MinBlockSize)
                {
                    return Refused($"blksize {option.Value} is not in 8..65464");
                }
                blockSize = (int)Math.Min(value, Math.Min(limits.MaxBlockSize, TftpLimits.MaxBlockSizeAllowed));
                acknowledged.Add(new TftpOption(option.Name, blockSize.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
            else if (option.Is("windowsize"))
            {
                // RFC 7440 §3: 1..65535; the server may answer with a smaller value.
                if (!isNumber || value < 1 || value > 65535)
                {
                    return Refused($"windowsize {option.Value} is not in 1..65535");
                }
                windowSize = (int)Math.Min(value, Math.Max(1, limits.MaxWindowSize));
                acknowledged.Add(new TftpOption(option.Name, windowSize.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
            else if (option.Is("timeout"))
            {
                // RFC 2349 §2: 1..255 seconds, answered with the same value; a value above our maximum is not
                // acknowledged (RFC 2347 §3 lets the server leave an option out), so a silent client cannot hold
                // a transfer for minutes per retry.
                if (!isNumber || value < 1 || value > 255)
                {
                    return Refused($"timeout {option.Value} is not in 1..255");
                }
                if (TimeSpan.FromSeconds(value) <= limits.MaxTimeout)
                {
                    timeout = TimeSpan.FromSeconds(value);
                    acknowledged.Add(option);
                }
            }
            else if (option.Is("tsize"))
            {
                // RFC 2349 §4: a read request carries tsize 0 and the OACK returns the file's size.
                if (!isNumber)
                {
                    return Refused($"tsize {option.Value} is not a number");
                }
                // RFC 2347 lets the server leave an option out; curl (lib/tftp.c) fails a download whose OACK says
                // tsize 0, so an empty file is announced by its empty DATA block alone.
                if (fileLength > 0)
                {
                    acknowledged.Add(new TftpOption(option.Name, fileLength.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                }
            }
            // RFC 2347 §3: options the server does not support are left out of the OACK.
        }
        return new TftpNegotiation(new TftpTransferSettings(blockSize, windowSize, timeout), acknowledged, null);

        static TftpNegotiation Refused(string reason) =>
            new(TftpTransferSettings.Default(TimeSpan.Zero), [], reason);
    }
}
