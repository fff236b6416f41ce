#include "bench/workload.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>

namespace bench {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}
double MicrosBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

// Keeps the first error reported by any of several threads.
class FirstError {
 public:
  void Report(const Status& st) {
    if (st.ok()) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (status_.ok()) status_ = st;
  }
  Status Get() {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }

 private:
  std::mutex mu_;  // guards status_
  Status status_ = Status::Ok();
};

}  // namespace

Result<SideFigures> RunStreamSender(Transport& transport, const std::string& host, uint16_t port,
                                    const StreamParams& params) {
  CpuTime cpu_start = ProcessCpuTime();
  std::vector<std::unique_ptr<Connection>> connections;
  for (int i = 0; i < params.streams; ++i) {
    Result<std::unique_ptr<Connection>> c = transport.Connect(host, port);
    if (!c.ok()) return c.status().Wrap("stream " + std::to_string(i + 1) + "/" + std::to_string(params.streams));
    connections.push_back(std::move(c).value());
  }
  FirstError error;
  std::atomic<uint64_t> total{0};
  Clock::time_point start = Clock::now();
  Clock::time_point deadline = start + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(params.duration_s));
  auto send_loop = [&](Connection& c) {
    std::vector<char> buffer(params.msg_size, 'r');
    uint64_t sent = 0;
    Status st = Status::Ok();
    if (params.bytes > 0) {
      while (st.ok() && sent < params.bytes) {
        size_t n = std::min<uint64_t>(params.msg_size, params.bytes - sent);
        st = c.Send(buffer.data(), n);
        sent += n;
      }
    } else {
      while (st.ok() && Clock::now() < deadline) {
        st = c.Send(buffer.data(), buffer.size());
        sent += buffer.size();
      }
    }
    if (st.ok()) st = c.Close();
    total += sent;
    error.Report(st);
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < connections.size(); ++i) threads.emplace_back(send_loop, std::ref(*connections[i]));
  send_loop(*connections[0]);
  for (auto& t : threads) t.join();
  Clock::time_point end = Clock::now();
  if (!error.Get().ok()) return error.Get();
  SideFigures side;
  side.bytes = total;
  side.seconds = SecondsBetween(start, end);
  side.cpu = ProcessCpuTime() - cpu_start;
  return side;
}

Result<SideFigures> RunStreamReceiver(Listener& listener, const StreamParams& params) {
  CpuTime cpu_start = ProcessCpuTime();
  std::vector<std::unique_ptr<Connection>> connections;
  for (int i = 0; i < params.streams; ++i) {
    Result<std::unique_ptr<Connection>> c = listener.Accept();
    if (!c.ok()) return c.status().Wrap("stream " + std::to_string(i + 1) + "/" + std::to_string(params.streams));
    connections.push_back(std::move(c).value());
  }
  FirstError error;
  std::mutex mu;  // guards first, last, total
  Clock::time_point first = Clock::time_point::max();
  Clock::time_point last = Clock::time_point::min();
  uint64_t total = 0;
  size_t buffer_size = std::clamp<size_t>(params.msg_size, 128 * 1024, 8 * 1024 * 1024);
  auto receive_loop = [&](Connection& c) {
    std::vector<char> buffer(buffer_size);
    uint64_t received = 0;
    Clock::time_point first_byte{};
    Status st = Status::Ok();
    while (true) {
      Result<size_t> n = c.ReceiveSome(buffer.data(), buffer.size());
      if (!n.ok()) {
        st = n.status();
        break;
      }
      if (n.value() == 0) break;
      if (received == 0) first_byte = Clock::now();
      received += n.value();
    }
    Clock::time_point end = Clock::now();
    if (st.ok()) st = c.Close();
    error.Report(st);
    std::lock_guard<std::mutex> lock(mu);
    total += received;
    if (received > 0) first = std::min(first, first_byte);
    last = std::max(last, end);
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < connections.size(); ++i) threads.emplace_back(receive_loop, std::ref(*connections[i]));
  receive_loop(*connections[0]);
  for (auto& t : threads) t.join();
  if (!error.Get().ok()) return error.Get();
  SideFigures side;
  side.bytes = total;
  side.seconds = total > 0 ? SecondsBetween(first, last) : 0;
  side.cpu = ProcessCpuTime() - cpu_start;
  return side;
}

Result<RrClientFigures> RunRrClient(Transport& transport, const std::string& host, uint16_t port,
                                    const RrParams& params) {
  Result<std::unique_ptr<Connection>> c = transport.Connect(host, port);
  if (!c.ok()) return c.status().Wrap("request/response");
  Connection& conn = *c.value();
  std::vector<char> request(params.msg_size, 'q');
  std::vector<char> response(params.msg_size);
  auto round_trip = [&]() {
    Status st = conn.Send(request.data(), request.size());
    return st.ok() ? conn.ReceiveExactly(response.data(), response.size()) : st;
  };
  for (size_t i = 0; i < params.warmup; ++i) {
    Status st = round_trip();
    if (!st.ok()) return st.Wrap("request/response warm-up");
  }
  RrClientFigures figures;
  figures.rtt_us.reserve(1 << 16);
  CpuTime cpu_start = ProcessCpuTime();
  Clock::time_point start = Clock::now();
  Clock::time_point deadline = start + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(params.duration_s));
  Clock::time_point t0 = start;
  while (t0 < deadline) {
    Status st = round_trip();
    if (!st.ok()) return st.Wrap("request/response");
    Clock::time_point t1 = Clock::now();
    figures.rtt_us.push_back(MicrosBetween(t0, t1));
    t0 = t1;
  }
  figures.side.seconds = SecondsBetween(start, t0);
  figures.side.cpu = ProcessCpuTime() - cpu_start;
  figures.side.transactions = figures.rtt_us.size();
  figures.side.bytes = 2 * figures.rtt_us.size() * params.msg_size;
  Status st = conn.Close();
  if (!st.ok()) return st.Wrap("request/response");
  return figures;
}

Result<SideFigures> RunRrServer(Listener& listener, const RrParams& params) {
  Result<std::unique_ptr<Connection>> c = listener.Accept();
  if (!c.ok()) return c.status().Wrap("request/response");
  Connection& conn = *c.value();
  std::vector<char> buffer(params.msg_size);
  SideFigures side;
  // Warm-up round trips are echoed too but not counted.
  uint64_t echoed = 0;
  CpuTime cpu_start = ProcessCpuTime();
  Clock::time_point start = Clock::now();
  while (true) {
    Result<size_t> n = conn.ReceiveSome(buffer.data(), buffer.size());
    if (!n.ok()) return n.status().Wrap("request/response");
    if (n.value() == 0) break;
    if (n.value() < buffer.size()) {
      Status st = conn.ReceiveExactly(buffer.data() + n.value(), buffer.size() - n.value());
      if (!st.ok()) return st.Wrap("request/response");
    }
    if (echoed == params.warmup) {
      cpu_start = ProcessCpuTime();
      start = Clock::now();
    }
    Status st = conn.Send(buffer.data(), buffer.size());
    if (!st.ok()) return st.Wrap("request/response");
    ++echoed;
  }
  side.seconds = SecondsBetween(start, Clock::now());
  side.cpu = ProcessCpuTime() - cpu_start;
  side.transactions = echoed > params.warmup ? echoed - params.warmup : 0;
  side.bytes = 2 * side.transactions * params.msg_size;
  Status st = conn.Close();
  if (!st.ok()) return st.Wrap("request/response");
  return side;
}

Result<ConnectClientFigures> RunConnectClient(Transport& transport, const std::string& host, uint16_t port,
                                              const ConnectParams& params) {
  FirstError error;
  std::mutex mu;  // guards figures' vectors
  ConnectClientFigures figures;
  CpuTime cpu_start = ProcessCpuTime();
  Clock::time_point start = Clock::now();
  auto client = [&]() {
    std::vector<double> connect_us, close_us;
    for (int i = 0; i < params.connections; ++i) {
      Clock::time_point t0 = Clock::now();
      Result<std::unique_ptr<Connection>> c = transport.Connect(host, port);
      Clock::time_point t1 = Clock::now();
      if (!c.ok()) {
        error.Report(c.status().Wrap("connect/close " + std::to_string(i + 1)));
        break;
      }
      Status st = c.value()->Close();
      Clock::time_point t2 = Clock::now();
      if (!st.ok()) {
        error.Report(st.Wrap("connect/close " + std::to_string(i + 1)));
        break;
      }
      connect_us.push_back(MicrosBetween(t0, t1));
      close_us.push_back(MicrosBetween(t1, t2));
    }
    std::lock_guard<std::mutex> lock(mu);
    figures.connect_us.insert(figures.connect_us.end(), connect_us.begin(), connect_us.end());
    figures.close_us.insert(figures.close_us.end(), close_us.begin(), close_us.end());
  };
  std::vector<std::thread> threads;
  for (int i = 1; i < params.parallel_clients; ++i) threads.emplace_back(client);
  client();
  for (auto& t : threads) t.join();
  if (!error.Get().ok()) return error.Get();
  figures.side.seconds = SecondsBetween(start, Clock::now());
  figures.side.cpu = ProcessCpuTime() - cpu_start;
  figures.side.transactions = figures.connect_us.size();
  return figures;
}

Result<SideFigures> RunConnectServer(Listener& listener, const ConnectParams& params) {
  FirstError error;
  std::atomic<long> remaining{static_cast<long>(params.connections) * params.parallel_clients};
  std::atomic<uint64_t> served{0};
  CpuTime cpu_start = ProcessCpuTime();
  Clock::time_point start = Clock::now();
  auto worker = [&]() {
    char byte = 0;
    while (remaining.fetch_sub(1) > 0) {
      Result<std::unique_ptr<Connection>> c = listener.Accept();
      Status st = c.status();
      if (st.ok()) {
        Result<size_t> n = c.value()->ReceiveSome(&byte, 1);
        st = n.status();
        if (st.ok() && n.value() != 0) st = Status::Error("client sent data on a connect/close connection");
      }
      if (st.ok()) st = c.value()->Close();
      if (!st.ok()) {
        error.Report(st.Wrap("connect/close"));
        remaining = 0;  // the others stop after their current connection
        return;
      }
      ++served;
    }
  };
  std::vector<std::thread> threads;
  for (int i = 1; i < params.parallel_clients; ++i) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  if (!error.Get().ok()) return error.Get();
  SideFigures side;
  side.seconds = SecondsBetween(start, Clock::now());
  side.cpu = ProcessCpuTime() - cpu_start;
  side.transactions = served;
  return side;
}

}  // namespace bench
