namespace RebarProvision.Tftp;

/// <summary>
/// How long and how much a sender may resend to a client that does not answer.
/// </summary>
/// <param name="MaxRetries">timeouts in a row without progress before the transfer ends</param>
/// <param name="MaxSilence">
/// time without progress after which the transfer ends whatever the retries and negotiated timeout say, so a silent
/// client holds its slot for a bounded time
/// </param>
/// <param name="UnansweredBudget">
/// bytes the client has sent us (its request): until it acknowledges something, retransmissions to its address may
/// not add up to more, so a request with a forged source reflects no more traffic than it cost
/// </param>
public sealed record TftpRetransmitPolicy(int MaxRetries, TimeSpan MaxSilence, int UnansweredBudget);
