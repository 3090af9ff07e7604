using System.Buffers.Binary;
using System.Text;

namespace RebarProvision.Dhcp;

/// <summary>
/// A message's options in the order they first appeared, one entry per code (RFC 3396: entries of one code are
/// concatenated). Pad, End and Overload are wire details and never appear here.
/// </summary>
public sealed class DhcpOptions
{
    // Room for a typical request's or reply's options from the start: growing the list cost three arrays per message.
    private readonly List<DhcpOption> _items = new(8);

    public int Count => _items.Count;

    public IReadOnlyList<DhcpOption> Items => _items;

    /// <summary>The option's value. Values are shared between messages (subnet options, option 53): read them, never change them in place; <see cref="Set"/> a new array instead.</summary>
    public byte[]? Get(byte code)
    {
        foreach (var item in _items)
        {
            if (item.Code == code)
            {
                return item.Value;
            }
        }
        return null;
    }

    public bool Contains(byte code) => Get(code) is not null;

    /// <summary>Sets (or replaces, keeping its position) the option's value.</summary>
    public DhcpOptions Set(byte code, byte[] value)
    {
        for (var i = 0; i < _items.Count; i++)
        {
            if (_items[i].Code == code)
            {
                _items[i] = new DhcpOption(code, value);
                return this;
            }
        }
        _items.Add(new DhcpOption(code, value));
        return this;
    }

    /// <summary>RFC 3396 §7: a second entry of a code continues the first.</summary>
    internal void Append(byte code, ReadOnlySpan<byte> value)
    {
        for (var i = 0; i < _items.Count; i++)
        {
            if (_items[i].Code == code)
            {
                _items[i] = new DhcpOption(code, [.. _items[i].Value, .. value]);
                return;
            }
        }
        _items.Add(new DhcpOption(code, value.ToArray()));
    }

    public bool Remove(byte code)
    {
        var removed = false;
        for (var i = _items.Count - 1; i >= 0; i--)
        {
            if (_items[i].Code == code)
            {
                _items.RemoveAt(i);
                removed = true;
            }
        }
        return removed;
    }

    /// <summary>Option 53. Its value arrays are shared between messages (option values are never changed in place).</summary>
    public DhcpOptions SetMessageType(DhcpMessageType type) =>
        (int)type < MessageTypeValues.Length ? Set(DhcpOptionCode.MessageType, MessageTypeValues[(int)type]) : SetByte(DhcpOptionCode.MessageType, (byte)type);

    private static readonly byte[][] MessageTypeValues = [.. Enumerable.Range(0, 16).Select(t => new[] { (byte)t })];

    public DhcpOptions SetByte(byte code, byte value) => Set(code, [value]);

    public DhcpOptions SetUInt16(byte code, ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
        return Set(code, bytes);
    }

    public DhcpOptions SetUInt32(byte code, uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return Set(code, bytes);
    }

    public DhcpOptions SetAddress(byte code, uint address) => SetUInt32(code, address);

    public DhcpOptions SetText(byte code, string value) => Set(code, Encoding.ASCII.GetBytes(value));

    public byte? GetByte(byte code) => Get(code) is [var b] ? b : null;

    public ushort? GetUInt16(byte code) => Get(code) is { Length: 2 } v ? BinaryPrimitives.ReadUInt16BigEndian(v) : null;

    public uint? GetUInt32(byte code) => Get(code) is { Length: 4 } v ? BinaryPrimitives.ReadUInt32BigEndian(v) : null;

    /// <summary>An IPv4 address as a host-order integer.</summary>
    public uint? GetAddress(byte code) => GetUInt32(code);

    /// <summary>The value as Latin-1 text (so any bytes read back), with trailing NULs some firmware adds removed.</summary>
    public string? GetText(byte code) => Get(code) is { } v ? Encoding.Latin1.GetString(v).TrimEnd('\0') : null;

    public DhcpMessageType MessageType => GetByte(DhcpOptionCode.MessageType) is { } t ? (DhcpMessageType)t : DhcpMessageType.None;
}
