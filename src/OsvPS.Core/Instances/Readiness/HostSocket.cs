using System;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace OsvPS.Core.Instances.Readiness
{
    /// <summary>The host side of a probe: one connection to one endpoint, every step under a deadline and cancellable.</summary>
    internal static class HostSocket
    {
        /// <summary>A connected socket, or null with why not (<c>connection refused</c>, <c>no connection within 2 s</c>).</summary>
        public static Socket? Connect(IPEndPoint endpoint, TimeSpan deadline, CancellationToken cancellation, out string detail)
        {
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                using (var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation))
                {
                    limit.CancelAfter(deadline);
                    socket.ConnectAsync(endpoint, limit.Token).AsTask().GetAwaiter().GetResult();
                }
                detail = "";
                return socket;
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                detail = $"no connection to {Show(endpoint)} within {Seconds(deadline)}";
            }
            catch (SocketException e)
            {
                detail = e.SocketErrorCode == SocketError.ConnectionRefused ? $"connection refused at {Show(endpoint)}" : $"{Show(endpoint)}: {e.Message}";
            }
            catch
            {
                // Cancelled by the caller: the socket goes now, not when the collector finds it.
                socket.Dispose();
                throw;
            }
            socket.Dispose();
            cancellation.ThrowIfCancellationRequested();
            return null;
        }

        /// <summary>
        /// Whether a forwarded connection is the guest's: QEMU's user networking (and passt) accepts on the host at once
        /// and closes the connection when the guest refuses it, within milliseconds once the guest's network is up.
        /// True when it is still open after <paramref name="settle"/> or the guest spoke; false when it was closed.
        /// </summary>
        public static bool Holds(Socket socket, TimeSpan settle, out string detail)
        {
            if (!socket.Poll((int)Math.Min(int.MaxValue, settle.Ticks / 10), SelectMode.SelectRead))
            {
                detail = "held";
                return true;
            }
            try
            {
                if (socket.Available > 0 || socket.Receive(new byte[1], SocketFlags.Peek) > 0)
                {
                    detail = "the guest spoke first";
                    return true;
                }
            }
            catch (SocketException)
            {
            }
            detail = "closed at once";
            return false;
        }

        /// <summary>
        /// Sends <paramref name="request"/> and reads the answer's head (up to a blank line, at most <paramref name="max"/>
        /// bytes, within <paramref name="deadline"/>, what is left of the attempt's <paramref name="attempt"/>); null with why
        /// when nothing usable came.
        /// </summary>
        public static string? Exchange(Socket socket, string request, int max, TimeSpan deadline, TimeSpan attempt, CancellationToken cancellation, out string detail)
        {
            var received = new byte[max];
            int count = 0;
            using (var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation))
            {
                limit.CancelAfter(deadline);
                try
                {
                    byte[] bytes = Encoding.ASCII.GetBytes(request);
                    for (int sent = 0; sent < bytes.Length;)
                    {
                        sent += socket.SendAsync(new ArraySegment<byte>(bytes, sent, bytes.Length - sent), SocketFlags.None, limit.Token).AsTask().GetAwaiter().GetResult();
                    }
                    while (count < max)
                    {
                        int n = socket.ReceiveAsync(new ArraySegment<byte>(received, count, max - count), SocketFlags.None, limit.Token).AsTask().GetAwaiter().GetResult();
                        if (n == 0)
                        {
                            break;
                        }
                        count += n;
                        if (Encoding.ASCII.GetString(received, 0, count).Contains("\r\n\r\n"))
                        {
                            break;
                        }
                    }
                }
                catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
                {
                    detail = count == 0 ? $"no answer within {Seconds(attempt)}" : $"an unfinished answer within {Seconds(attempt)}";
                    return count == 0 ? null : Encoding.ASCII.GetString(received, 0, count);
                }
                catch (SocketException e)
                {
                    detail = count == 0 ? "the connection closed before an answer: " + e.Message : "";
                    if (count == 0)
                    {
                        return null;
                    }
                }
            }
            cancellation.ThrowIfCancellationRequested();
            detail = count == 0 ? "the connection closed before an answer" : "";
            return count == 0 ? null : Encoding.ASCII.GetString(received, 0, count);
        }

        public static string Show(IPEndPoint endpoint)
            => endpoint.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]:{endpoint.Port}" : $"{endpoint.Address}:{endpoint.Port}";

        internal static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + " s";
    }
}
