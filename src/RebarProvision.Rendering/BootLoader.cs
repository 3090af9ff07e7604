namespace RebarProvision.Rendering;

/// <summary>The boot-loader documents every bootenv has, by convention, whether or not it ships its own.</summary>
public enum BootLoader
{
    /// <summary>iPXE script, served at <c>/boot/&lt;mac&gt;.ipxe</c>; template <c>ipxe</c> or <c>default-ipxe</c>.</summary>
    Ipxe,

    /// <summary>pxelinux config, served at <c>pxelinux.cfg/01-&lt;mac&gt;</c>; template <c>pxelinux</c> or <c>default-pxelinux</c>.</summary>
    Pxelinux,

    /// <summary>GRUB config, served at <c>grub.cfg-01-&lt;mac&gt;</c>; template <c>grub</c> or <c>default-grub</c>.</summary>
    Grub,
}
