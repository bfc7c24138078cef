/// The schema of the hand-written test messages in this folder. The interop tests hand it to
/// protoc-c and protoc; the Swift types follow docs/RUNTIME.md exactly as dh-protoc emits them.
enum TestSchema {
    static let fileName = "dhtest.proto"

    static let proto = """
        syntax = "proto3";

        package dhtest;

        enum Status {
          STATUS_UNSPECIFIED = 0;
          STATUS_ACTIVE = 1;
          STATUS_SUSPENDED = 2;
          STATUS_DECEASED = 3;
        }

        message Scalars {
          int32 f_int32 = 1;
          int64 f_int64 = 2;
          uint32 f_uint32 = 3;
          uint64 f_uint64 = 4;
          sint32 f_sint32 = 5;
          sint64 f_sint64 = 6;
          fixed32 f_fixed32 = 7;
          fixed64 f_fixed64 = 8;
          sfixed32 f_sfixed32 = 9;
          sfixed64 f_sfixed64 = 10;
          float f_float = 11;
          double f_double = 12;
          bool f_bool = 13;
          string f_string = 14;
          bytes f_bytes = 15;
          Status f_enum = 16;
        }

        message Repeateds {
          repeated int32 r_int32 = 1;
          repeated int64 r_int64 = 2;
          repeated uint32 r_uint32 = 3;
          repeated uint64 r_uint64 = 4;
          repeated sint32 r_sint32 = 5;
          repeated sint64 r_sint64 = 6;
          repeated fixed32 r_fixed32 = 7;
          repeated fixed64 r_fixed64 = 8;
          repeated sfixed32 r_sfixed32 = 9;
          repeated sfixed64 r_sfixed64 = 10;
          repeated float r_float = 11;
          repeated double r_double = 12;
          repeated bool r_bool = 13;
          repeated string r_string = 14;
          repeated bytes r_bytes = 15;
          repeated Status r_enum = 16;
          repeated int32 u_int32 = 17 [packed = false];
          repeated sint64 u_sint64 = 18 [packed = false];
          repeated double u_double = 19 [packed = false];
        }

        message Optionals {
          optional int32 o_int32 = 1;
          optional string o_string = 2;
          optional Status o_enum = 3;
          optional double o_double = 4;
          optional bool o_bool = 5;
          optional bytes o_bytes = 6;
        }

        message CareRecord {
          message Address {
            string prefecture = 1;
            string city = 2;
            string line = 3;
            uint32 postal_code = 4;
          }
          message Observation {
            string code = 1;
            double value = 2;
            sint64 taken_at = 3;
            repeated Status flags = 4;
            string note = 5;
          }
          int64 id = 1;
          string name = 2;
          Status status = 3;
          Address address = 4;
          repeated Observation observations = 5;
          map<string, string> labels = 6;
          map<int32, Observation> by_code = 7;
          oneof contact {
            string phone = 8;
            string email = 9;
            Address postal = 10;
          }
          CareRecord guardian = 11;
          repeated string tags = 12;
          Scalars scalars = 13;
          Repeateds repeateds = 14;
          Optionals optionals = 15;
          map<string, int64> counters = 16;
          map<uint64, bytes> blobs = 17;
          map<bool, Status> switches = 18;
        }

        """
}
