namespace RebarProvision.Dhcp.Server;

/// <summary>The parts of a reply every answer shares: the header, the options of a lease, and where it goes.</summary>
internal static class DhcpReplies
{
    public static DhcpMessage New(DhcpMessage request, DhcpMessageType type, DhcpReceiveContext context)
    {
        var reply = new DhcpMessage
        {
            Operation = DhcpOperation.BootReply,
            HardwareType = request.HardwareType,
            HardwareLength = request.HardwareLength,
            TransactionId = request.TransactionId,
            Flags = request.Flags,
            RelayAddress = request.RelayAddress,
            ClientHardwareAddress = request.ClientHardwareAddress,
        };
        reply.Options.SetMessageType(type);
        reply.Options.SetAddress(DhcpOptionCode.ServerIdentifier, context.ServerAddress);
        return reply;
    }

    public static void AddLeaseOptions(DhcpMessage reply, SubnetPlan subnet, ReservationPlan? reservation)
    {
        SetAll(reply, subnet.LeaseTimeOptions(reserved: reservation is not null));
        AddConfigurationOptions(reply, subnet, reservation);
    }

    /// <summary>The subnet's options, then the reservation's, which win.</summary>
    public static void AddConfigurationOptions(DhcpMessage reply, SubnetPlan subnet, ReservationPlan? reservation)
    {
        SetAll(reply, subnet.Options);
        if (reservation is not null)
        {
            SetAll(reply, reservation.Options);
        }
    }

    /// <summary>RFC 3046 §2.2: the relay agent information goes back unchanged, as the last option.</summary>
    public static void Finish(DhcpMessage reply, DhcpMessage request)
    {
        if (request.RelayAddress != 0 && request.Options.Get(DhcpOptionCode.RelayAgentInformation) is { } relay)
        {
            reply.Options.Remove(DhcpOptionCode.RelayAgentInformation);
            reply.Options.Set(DhcpOptionCode.RelayAgentInformation, relay);
        }
    }

    public static DhcpReply Nak(DhcpMessage request, DhcpReceiveContext context)
    {
        var reply = New(request, DhcpMessageType.Nak, context);
        Finish(reply, request);
        return Destination(request, reply, nak: true);
    }

    /// <summary>RFC 2131 §4.1: relay first; NAKs broadcast; ciaddr when the client has one; else broadcast.</summary>
    public static DhcpReply Destination(DhcpMessage request, DhcpMessage reply, bool nak)
    {
        if (request.RelayAddress != 0)
        {
            if (nak)
            {
                reply.Broadcast = true;
            }
            return new DhcpReply(reply, DhcpReplyTarget.Relay, request.RelayAddress, 67);
        }
        if (!nak && request.ClientAddress != 0)
        {
            return new DhcpReply(reply, DhcpReplyTarget.Client, request.ClientAddress, 68);
        }
        // Without an ARP entry for yiaddr we cannot unicast to a client that has no address yet.
        return new DhcpReply(reply, DhcpReplyTarget.Broadcast, uint.MaxValue, 68);
    }

    private static void SetAll(DhcpMessage reply, DhcpOption[] options)
    {
        foreach (var option in options)
        {
            reply.Options.Set(option.Code, option.Value);
        }
    }
}
