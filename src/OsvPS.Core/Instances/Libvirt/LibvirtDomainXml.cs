using System;
using System.Globalization;
using System.Linq;
using System.Xml.Linq;
using OsvPS.Core.Qemu;

namespace OsvPS.Core.Instances.Libvirt
{
    /// <summary>The libvirt domain of an instance, and the OsvPS metadata that marks it as one of ours.</summary>
    internal static class LibvirtDomainXml
    {
        public static readonly XNamespace Meta = "https://osvps.dev/libvirt/instance/1";

        public static XElement? ReadMeta(XElement xml) => xml.Element("metadata")?.Element(Meta + "instance");

        public static XElement Build(LibvirtStartPlan plan, string domainName, string overlayVolume, string? kernelPath, string consolePath)
        {
            var request = plan.Request;
            string guestLine = plan.GuestCommandLine;
            var os = new XElement("os", new XElement("type", new XAttribute("arch", "x86_64"), new XAttribute("machine", "pc"), "hvm"));
            if (kernelPath != null)
            {
                os.Add(new XElement("kernel", kernelPath), new XElement("cmdline", guestLine));
            }
            else
            {
                os.Add(new XElement("boot", new XAttribute("dev", "hd")));
            }
            var machine = request.Machine;
            XElement? network = machine.Network switch
            {
                NetworkMode.None => null,
                NetworkMode.Bridge => new XElement("interface", new XAttribute("type", "bridge"),
                    new XElement("source", new XAttribute("bridge", machine.Bridge ?? "virbr0")), new XElement("model", new XAttribute("type", "virtio"))),
                NetworkMode.Named => new XElement("interface", new XAttribute("type", "network"),
                    new XElement("source", new XAttribute("network", machine.NetworkName!)),
                    plan.NetworkMac == null ? null : new XElement("mac", new XAttribute("address", plan.NetworkMac)),
                    new XElement("model", new XAttribute("type", "virtio"))),
                NetworkMode.Tap => new XElement("interface", new XAttribute("type", "ethernet"),
                    new XElement("target", new XAttribute("dev", machine.TapDevice!), new XAttribute("managed", "no")), new XElement("model", new XAttribute("type", "virtio"))),
                // Forwards need libvirt's passt backend (libvirt 9.2 and the passt program on the host);
                // without forwards, QEMU's own user networking needs nothing more.
                _ when machine.Forwards.Count > 0 => new XElement("interface", new XAttribute("type", "user"),
                    new XElement("backend", new XAttribute("type", "passt")),
                    machine.Forwards.Select(f => new XElement("portForward", new XAttribute("proto", f.Protocol), new XAttribute("address", f.HostAddress),
                        new XElement("range", new XAttribute("start", f.HostPort), new XAttribute("to", f.GuestPort)))),
                    new XElement("model", new XAttribute("type", "virtio"))),
                _ => new XElement("interface", new XAttribute("type", "user"), new XElement("model", new XAttribute("type", "virtio"))),
            };
            return new XElement("domain", new XAttribute("type", request.Accelerator == Accelerator.Kvm ? "kvm" : "qemu"),
                new XElement("name", domainName),
                new XElement("metadata", new XElement(Meta + "instance", new XAttribute(XNamespace.Xmlns + "osvps", Meta),
                    new XAttribute("name", plan.Name),
                    new XAttribute("image", request.ImageName),
                    // The -Env values stay out: a read-only connection (virsh -r dumpxml) shows this to every local user.
                    new XAttribute("commandLine", plan.ShownCommandLine),
                    new XAttribute("guestCommandLine", plan.ShownGuestCommandLine),
                    new XAttribute("configSets", string.Join(",", plan.ConfigSets)),
                    new XAttribute("bootMode", plan.BootModeName),
                    new XAttribute("pool", plan.StoragePool),
                    machine.Network == NetworkMode.Named ? new XAttribute("network", machine.NetworkName!) : null,
                    plan.NetworkAddress == null ? null : new XAttribute("ip", plan.NetworkAddress),
                    plan.KernelLog == null ? null : new XAttribute("kernelLog", plan.KernelLog.ToString()),
                    new XAttribute("started", DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture)))),
                new XElement("memory", new XAttribute("unit", "MiB"), machine.MemoryMiB),
                new XElement("vcpu", machine.Cpus),
                os,
                new XElement("features", new XElement("acpi")),
                new XElement("on_poweroff", "destroy"), new XElement("on_reboot", "destroy"), new XElement("on_crash", "destroy"),
                new XElement("devices",
                    new XElement("disk", new XAttribute("type", "volume"), new XAttribute("device", "disk"),
                        new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", "qcow2"), new XAttribute("cache", "unsafe")),
                        new XElement("source", new XAttribute("pool", plan.StoragePool), new XAttribute("volume", overlayVolume)),
                        new XElement("target", new XAttribute("dev", "vda"), new XAttribute("bus", "virtio"))),
                    network,
                    new XElement("serial", new XAttribute("type", "file"),
                        new XElement("source", new XAttribute("path", consolePath), new XAttribute("append", "off")),
                        new XElement("target", new XAttribute("port", 0))),
                    new XElement("rng", new XAttribute("model", "virtio"), new XElement("backend", new XAttribute("model", "random"), "/dev/urandom")),
                    new XElement("memballoon", new XAttribute("model", "none"))));
        }

        /// <summary>The forwards a domain's XML names, as <c>tcp:ADDRESS:HOST:GUEST</c>.</summary>
        public static string[] Forwards(XElement xml)
            => (xml.Element("devices")?.Elements("interface").Elements("portForward") ?? Enumerable.Empty<XElement>())
                .SelectMany(f => f.Elements("range").Select(r => new PortForward(f.Attribute("proto")?.Value ?? "tcp", f.Attribute("address")?.Value ?? "",
                    int.Parse(r.Attribute("start")?.Value ?? "0", CultureInfo.InvariantCulture), int.Parse(r.Attribute("to")?.Value ?? "0", CultureInfo.InvariantCulture)).ToString()))
                .ToArray();
    }
}
