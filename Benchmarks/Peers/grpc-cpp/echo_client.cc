// The gRPC C++ peer's client for the transport benchmark: the figures (a)-(d) of
// Benchmarks/Tools/TransportBenchmarks, with the same message sizes and counts, against
// echo_server running as a separate process over mutual TLS on loopback.
//
//   echo_client --target 127.0.0.1:PORT --server-pid PID --ca ca.crt.pem
//               --cert client.crt.pem --key client.key.pem [--in-flight callback|threads] [--quick]
//               [--deadline]
//
// (a) uses the synchronous stub; (b) keeps 32 calls in flight on one channel with the callback
// API (or, with --in-flight threads, 32 threads sharing the channel through the synchronous
// stub); (c) streams with the callback API; (d) opens one channel per idle connection.
// CPU time per call adds the server's (from /proc/PID/stat, in clock ticks) to the client's
// (getrusage). Resident memory per idle connection reads the server's VmRSS from
// /proc/PID/status before and after opening the idle connections.

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/credentials.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "echo.grpc.pb.h"

namespace {

using dh::bench::v1::Echo;
using dh::bench::v1::EchoRequest;
using dh::bench::v1::EchoResponse;
using Clock = std::chrono::steady_clock;
using Nanoseconds = std::chrono::nanoseconds;

[[noreturn]] void Fail(const std::string& message) {
    std::fprintf(stderr, "echo_client: %s\n", message.c_str());
    std::exit(1);
}

void Check(const grpc::Status& status, const char* what) {
    if (!status.ok()) {
        Fail(std::string(what) + ": " + std::to_string(status.error_code()) + " " + status.error_message());
    }
}

std::string ReadFile(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) Fail("cannot read " + path);
    std::ostringstream contents;
    contents << file.rdbuf();
    return contents.str();
}

double Seconds(Nanoseconds duration) { return std::chrono::duration<double>(duration).count(); }

// "12.3 µs" below 10 µs, "123 µs" above, as TransportBenchmarks prints.
std::string Micros(double micros) {
    char text[32];
    std::snprintf(text, sizeof text, micros < 10 ? "%.1f µs" : "%.0f µs", micros);
    return text;
}

std::string Micros(Nanoseconds duration) { return Micros(duration.count() / 1000.0); }

Nanoseconds Percentile(std::vector<Nanoseconds> samples, double p) {
    if (samples.empty()) return Nanoseconds(0);
    std::sort(samples.begin(), samples.end());
    size_t index = std::min(samples.size() - 1, static_cast<size_t>(samples.size() * p));
    return samples[index];
}

// CPU time (user and system) of this process and of the server, in seconds.
class CPUTime {
  public:
    explicit CPUTime(int server_pid) : server_pid_(server_pid) {}

    double Now() const { return Client() + Server(); }

  private:
    static double Client() {
        rusage usage{};
        getrusage(RUSAGE_SELF, &usage);
        auto seconds = [](timeval time) { return time.tv_sec + time.tv_usec / 1e6; };
        return seconds(usage.ru_utime) + seconds(usage.ru_stime);
    }

    // Fields 14 and 15 of /proc/PID/stat, after the command name in parentheses.
    double Server() const {
        std::ifstream file("/proc/" + std::to_string(server_pid_) + "/stat");
        std::string stat((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
        size_t end = stat.rfind(')');
        if (end == std::string::npos) Fail("cannot read /proc/" + std::to_string(server_pid_) + "/stat");
        std::istringstream fields(stat.substr(end + 2));
        std::string field;
        double ticks = 0;
        for (int number = 3; number <= 15 && fields >> field; ++number) {
            if (number >= 14) ticks += std::stod(field);
        }
        return ticks / sysconf(_SC_CLK_TCK);
    }

    int server_pid_;
};

// VmRSS of a process, in KiB.
long ResidentKiB(const std::string& pid) {
    std::ifstream status("/proc/" + pid + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    }
    Fail("no VmRSS in /proc/" + pid + "/status");
}

// TCP connections in state ESTABLISHED whose local port is `port` (the server's ends).
int EstablishedOnPort(int port) {
    int count = 0;
    for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        std::ifstream file(table);
        std::string line;
        std::getline(file, line);
        while (std::getline(file, line)) {
            std::istringstream fields(line);
            std::string slot, local, remote, state;
            fields >> slot >> local >> remote >> state;
            size_t colon = local.rfind(':');
            if (colon == std::string::npos) continue;
            if (std::stoi(local.substr(colon + 1), nullptr, 16) == port && state == "01") count += 1;
        }
    }
    return count;
}

// (b)'s calls in flight: each lane runs its calls one after another with the callback API,
// starting the next call from the previous one's completion, all lanes on one channel.
class Lanes {
  public:
    Lanes(Echo::Stub* stub, const EchoRequest& request, int lanes, int calls_per_lane)
        : stub_(stub), request_(request), calls_per_lane_(calls_per_lane), running_(lanes) {
        lanes_.reserve(lanes);
        for (int index = 0; index < lanes; ++index) lanes_.emplace_back(new Lane());
    }

    std::vector<Nanoseconds> Run() {
        for (auto& lane : lanes_) {
            lane->samples.reserve(calls_per_lane_);
            Start(lane.get());
        }
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, [this] { return running_ == 0; });
        if (!failure_.ok()) Check(failure_, "(b) unary call");
        std::vector<Nanoseconds> all;
        for (auto& lane : lanes_) all.insert(all.end(), lane->samples.begin(), lane->samples.end());
        return all;
    }

  private:
    struct Lane {
        std::unique_ptr<grpc::ClientContext> context;
        EchoResponse response;
        Clock::time_point start;
        std::vector<Nanoseconds> samples;
    };

    void Start(Lane* lane) {
        lane->context = std::make_unique<grpc::ClientContext>();
        lane->start = Clock::now();
        stub_->async()->Get(lane->context.get(), &request_, &lane->response,
                            [this, lane](grpc::Status status) { Finished(lane, std::move(status)); });
    }

    void Finished(Lane* lane, grpc::Status status) {
        lane->samples.push_back(Clock::now() - lane->start);
        if (status.ok() && static_cast<int>(lane->samples.size()) < calls_per_lane_) {
            Start(lane);
            return;
        }
        std::lock_guard<std::mutex> lock(mutex_);
        if (!status.ok()) failure_ = status;
        running_ -= 1;
        if (running_ == 0) done_.notify_all();
    }

    Echo::Stub* stub_;
    const EchoRequest& request_;
    int calls_per_lane_;
    std::vector<std::unique_ptr<Lane>> lanes_;
    std::mutex mutex_;
    std::condition_variable done_;
    int running_;
    grpc::Status failure_;
};

// (c)'s client stream with the callback API: each write starts when the previous one is done
// (gRPC allows one write outstanding per stream).
class Upload final : public grpc::ClientWriteReactor<EchoRequest> {
  public:
    Upload(Echo::Stub* stub, const EchoRequest& message, int count) : message_(message), left_(count) {
        stub->async()->Collect(&context_, &summary_, this);
        Next();
        StartCall();
    }

    // The summary once the server has answered.
    EchoResponse Wait() {
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, [this] { return finished_; });
        Check(status_, "(c) client stream");
        return summary_;
    }

  private:
    void Next() {
        if (left_ == 0) {
            StartWritesDone();
            return;
        }
        left_ -= 1;
        StartWrite(&message_);
    }

    void OnWriteDone(bool ok) override {
        if (ok) Next();  // Otherwise the stream broke and OnDone reports why.
    }

    void OnDone(const grpc::Status& status) override {
        std::lock_guard<std::mutex> lock(mutex_);
        status_ = status;
        finished_ = true;
        done_.notify_all();
    }

    grpc::ClientContext context_;
    EchoResponse summary_;
    const EchoRequest& message_;
    int left_;
    std::mutex mutex_;
    std::condition_variable done_;
    bool finished_ = false;
    grpc::Status status_;
};

// (b) with the synchronous stub instead: one thread per call in flight, sharing the channel.
std::vector<Nanoseconds> RunThreads(Echo::Stub* stub, const EchoRequest& request, int lanes, int calls_per_lane) {
    std::vector<std::vector<Nanoseconds>> samples(lanes);
    std::vector<std::thread> threads;
    std::mutex mutex;
    grpc::Status failure;
    for (int lane = 0; lane < lanes; ++lane) {
        threads.emplace_back([&, lane] {
            samples[lane].reserve(calls_per_lane);
            for (int index = 0; index < calls_per_lane; ++index) {
                grpc::ClientContext context;
                EchoResponse response;
                Clock::time_point start = Clock::now();
                grpc::Status status = stub->Get(&context, request, &response);
                samples[lane].push_back(Clock::now() - start);
                if (!status.ok()) {
                    std::lock_guard<std::mutex> lock(mutex);
                    failure = status;
                    return;
                }
            }
        });
    }
    for (std::thread& thread : threads) thread.join();
    Check(failure, "(b) unary call");
    std::vector<Nanoseconds> all;
    for (const auto& lane : samples) all.insert(all.end(), lane.begin(), lane.end());
    return all;
}

[[noreturn]] void Usage() {
    std::fprintf(stderr,
                 "usage: echo_client --target HOST:PORT --server-pid PID --ca FILE --cert FILE --key FILE "
                 "[--in-flight callback|threads] [--quick] [--deadline]\n");
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    std::string target, server_pid, ca, cert, key, in_flight_api = "callback";
    bool quick = false;
    // --deadline: (a)'s calls carry a deadline (10 s), as TransportBenchmarks --deadline.
    bool deadline = false;
    for (int index = 1; index < argc; ++index) {
        std::string option = argv[index];
        if (option == "--quick") {
            quick = true;
            continue;
        }
        if (option == "--deadline") {
            deadline = true;
            continue;
        }
        if (index + 1 >= argc) Usage();
        std::string value = argv[++index];
        if (option == "--target") target = value;
        else if (option == "--server-pid") server_pid = value;
        else if (option == "--ca") ca = value;
        else if (option == "--cert") cert = value;
        else if (option == "--key") key = value;
        else if (option == "--in-flight") in_flight_api = value;
        else Usage();
    }
    if (target.empty() || server_pid.empty() || ca.empty() || cert.empty() || key.empty()) Usage();
    if (in_flight_api != "callback" && in_flight_api != "threads") Usage();
    const int server_port = std::atoi(target.substr(target.rfind(':') + 1).c_str());

    const int sequential_calls = quick ? 2'000 : 20'000;
    const int concurrent_calls = quick ? 8'000 : 64'000;
    const int stream_messages = quick ? 10'000 : 50'000;
    const int idle_connections = quick ? 50 : 200;
    const int in_flight = 32;

    // One set of credentials for every channel: the CA that verifies the server, and the
    // client's certificate for mutual TLS.
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = ReadFile(ca);
    tls.pem_cert_chain = ReadFile(cert);
    tls.pem_private_key = ReadFile(key);
    std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::SslCredentials(tls);

    std::shared_ptr<grpc::Channel> channel = grpc::CreateChannel(target, credentials);
    std::unique_ptr<Echo::Stub> stub = Echo::NewStub(channel);
    CPUTime cpu(std::atoi(server_pid.c_str()));

    EchoRequest message;
    message.set_payload(std::string(1024, '\x5A'));
    std::printf("gRPC C++ %s over mutual TLS 1.3, loopback, 1 KiB messages, one connection\n",
                grpc::Version().c_str());
    std::fflush(stdout);

    // Warm up: connection, TLS, allocator.
    for (int index = 0; index < 500; ++index) {
        grpc::ClientContext context;
        EchoResponse response;
        Check(stub->Get(&context, message, &response), "warm-up call");
    }

    // (a) Sequential unary, with the synchronous stub.
    {
        std::vector<Nanoseconds> samples;
        samples.reserve(sequential_calls);
        EchoRequest request = message;
        double cpu_start = cpu.Now();
        Clock::time_point start = Clock::now();
        for (int index = 0; index < sequential_calls; ++index) {
            request.set_sequence(index);
            grpc::ClientContext context;
            if (deadline) context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
            EchoResponse response;
            Clock::time_point call_start = Clock::now();
            Check(stub->Get(&context, request, &response), "(a) unary call");
            samples.push_back(Clock::now() - call_start);
            if (response.sequence() != index || response.payload().size() != 1024) Fail("(a) wrong echo");
        }
        double elapsed = Seconds(Clock::now() - start);
        double cpu_per_call = (cpu.Now() - cpu_start) / sequential_calls * 1e6;
        std::printf("(a) sequential unary: %d calls, %d calls/s, p50 %s, p99 %s, CPU %s per call (client and server)\n",
                    sequential_calls, static_cast<int>(sequential_calls / elapsed),
                    Micros(Percentile(samples, 0.5)).c_str(), Micros(Percentile(samples, 0.99)).c_str(),
                    Micros(cpu_per_call).c_str());
        std::fflush(stdout);
    }

    // (b) 32 calls in flight on the one channel, with the callback API or 32 threads.
    {
        const int per_lane = concurrent_calls / in_flight;
        double cpu_start = cpu.Now();
        Clock::time_point start = Clock::now();
        std::vector<Nanoseconds> samples = in_flight_api == "callback"
                                               ? Lanes(stub.get(), message, in_flight, per_lane).Run()
                                               : RunThreads(stub.get(), message, in_flight, per_lane);
        double elapsed = Seconds(Clock::now() - start);
        const int calls = per_lane * in_flight;
        double cpu_per_call = (cpu.Now() - cpu_start) / calls * 1e6;
        std::printf("(b) unary, 32 in flight: %d calls, %d calls/s, p50 %s, p99 %s, CPU %s per call "
                    "(%s, one channel)\n",
                    calls, static_cast<int>(calls / elapsed), Micros(Percentile(samples, 0.5)).c_str(),
                    Micros(Percentile(samples, 0.99)).c_str(), Micros(cpu_per_call).c_str(),
                    in_flight_api == "callback" ? "callback API" : "32 threads, synchronous stub");
        std::fflush(stdout);
    }

    // (c) Client streaming, with the callback API.
    {
        double cpu_start = cpu.Now();
        Clock::time_point start = Clock::now();
        EchoResponse summary = Upload(stub.get(), message, stream_messages).Wait();
        double elapsed = Seconds(Clock::now() - start);
        if (summary.sequence() != stream_messages) Fail("(c) the server counted a different number");
        double rate = stream_messages / elapsed;
        double cpu_per_message = (cpu.Now() - cpu_start) / stream_messages * 1e6;
        std::printf("(c) client stream: %d × 1 KiB, %d msgs/s, %.1f MB/s, CPU %s per message\n", stream_messages,
                    static_cast<int>(rate), rate * 1024 / 1e6, Micros(cpu_per_message).c_str());
        std::fflush(stdout);
    }

    // (d) Idle connections: one channel each (a local subchannel pool and a distinct channel
    // argument, so no two share a connection), each connected by one call and kept open.
    {
        const int established_before = EstablishedOnPort(server_port);
        const long server_before = ResidentKiB(server_pid);
        const long client_before = ResidentKiB("self");
        std::vector<std::shared_ptr<grpc::Channel>> channels;
        std::vector<std::unique_ptr<Echo::Stub>> stubs;
        for (int index = 0; index < idle_connections; ++index) {
            grpc::ChannelArguments arguments;
            arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
            arguments.SetInt("dh.bench.idle_connection", index);
            channels.push_back(grpc::CreateCustomChannel(target, credentials, arguments));
            stubs.push_back(Echo::NewStub(channels.back()));
            grpc::ClientContext context;
            EchoResponse response;
            Check(stubs.back()->Get(&context, EchoRequest(), &response), "(d) call");
        }
        const long server_after = ResidentKiB(server_pid);
        const long client_after = ResidentKiB("self");
        const int opened = EstablishedOnPort(server_port) - established_before;
        if (opened < idle_connections) {
            Fail("(d) only " + std::to_string(opened) + " new connections reached the server");
        }
        const long server_per = (server_after - server_before) / idle_connections;
        const long client_per = (client_after - client_before) / idle_connections;
        std::printf("(d) idle connections: %d, server resident memory +%ld KiB per connection "
                    "(client +%ld KiB, both ends together +%ld KiB)\n",
                    idle_connections, server_per, client_per, server_per + client_per);
        std::fflush(stdout);
    }
    return 0;
}
