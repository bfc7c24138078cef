import DHCLI

@main
enum Entry {
    static func main() async {
        await DataHealthCommand.main()
    }
}
