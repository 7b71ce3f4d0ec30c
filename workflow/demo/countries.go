package demo

// buyerCountry is a country Yiwu's foreign buyers typically come from, with what the demo needs
// to invent a plausible buyer: names, a passport number shape, a phone number shape, home
// cities and e-mail domains.
type buyerCountry struct {
	code    string   // ISO 3166-1 alpha-2
	weight  int      // how many buyers come from there, relatively
	given   []string // given names
	family  []string // family names
	double  bool     // two family names (Spanish style)
	doc     string   // passport number shape: '#' a digit, '@' a letter (no I, O, Q), else literal
	phone   string   // international mobile number shape, '#' a digit
	cities  []string // home addresses
	domains []string // e-mail domains
}

var (
	arabGiven    = []string{"Mohammed", "Ahmed", "Ali", "Omar", "Khalid", "Hassan", "Youssef", "Abdullah", "Faisal", "Saeed", "Mustafa", "Tariq", "Nasser", "Hamza", "Ibrahim"}
	maghrebGiven = []string{"Mohamed", "Karim", "Youcef", "Rachid", "Amine", "Samir", "Nabil", "Hicham", "Mourad"}
	spanishGiven = []string{"Carlos", "Jose", "Juan", "Luis", "Javier", "Diego", "Alejandro", "Maria", "Ana", "Sofia", "Miguel"}
	spanishNames = []string{"Gonzalez", "Rodriguez", "Fernandez", "Lopez", "Martinez", "Sanchez", "Perez", "Garcia", "Ramirez", "Torres", "Munoz", "Rojas"}
	commonMail   = []string{"gmail.com", "yahoo.com", "hotmail.com", "outlook.com"}
)

var buyerCountries = []buyerCountry{
	{code: "AE", weight: 5, given: arabGiven, family: []string{"Al Mansoori", "Al Hashimi", "Al Mazrouei", "Al Nuaimi", "Al Shamsi", "Al Falasi"},
		doc: "@#######", phone: "+971 5# ### ####", cities: []string{"Deira, Dubai", "Al Qusais, Dubai", "Al Nahda, Sharjah", "Musaffah, Abu Dhabi"}, domains: commonMail},
	{code: "SA", weight: 4, given: arabGiven, family: []string{"Al Qahtani", "Al Ghamdi", "Al Harbi", "Al Zahrani", "Al Otaibi", "Al Dosari"},
		doc: "@#######", phone: "+966 5# ### ####", cities: []string{"Al Batha, Riyadh", "Al Balad, Jeddah", "Al Khobar", "Dammam"}, domains: commonMail},
	{code: "IQ", weight: 3, given: arabGiven, family: []string{"Al Jubouri", "Al Tamimi", "Al Obaidi", "Al Saadi", "Hussein", "Kadhim"},
		doc: "@########", phone: "+964 7## ### ####", cities: []string{"Karrada, Baghdad", "Erbil", "Basra", "Sulaymaniyah"}, domains: commonMail},
	{code: "YE", weight: 2, given: arabGiven, family: []string{"Al Hamdani", "Saleh", "Al Yafei", "Ba Abbad", "Al Aghbari"},
		doc: "0#######", phone: "+967 7## ### ###", cities: []string{"Aden", "Mukalla", "Taiz"}, domains: commonMail},
	{code: "EG", weight: 3, given: arabGiven, family: []string{"Mahmoud", "El Sayed", "Abdel Rahman", "Mostafa", "Fathy", "Gamal"},
		doc: "A########", phone: "+20 1## ### ####", cities: []string{"Al Mosky, Cairo", "Nasr City, Cairo", "Alexandria", "Port Said"}, domains: commonMail},
	{code: "DZ", weight: 2, given: maghrebGiven, family: []string{"Benali", "Boudiaf", "Belkacem", "Haddad", "Mansouri", "Cherif"},
		doc: "#########", phone: "+213 6## ## ## ##", cities: []string{"El Eulma, Setif", "Bab Ezzouar, Algiers", "Oran"}, domains: commonMail},
	{code: "MA", weight: 2, given: maghrebGiven, family: []string{"El Amrani", "Bennani", "Alaoui", "Tazi", "Berrada", "El Idrissi"},
		doc: "@@#######", phone: "+212 6## ## ## ##", cities: []string{"Derb Omar, Casablanca", "Fes", "Tangier"}, domains: commonMail},
	{code: "NG", weight: 4, given: []string{"Chinedu", "Emeka", "Oluwaseun", "Adebayo", "Ifeanyi", "Chukwuma", "Babatunde", "Ngozi", "Tunde", "Uchenna"},
		family: []string{"Okafor", "Adeyemi", "Okonkwo", "Eze", "Balogun", "Nwosu", "Abubakar", "Ogunleye"},
		doc:    "A########", phone: "+234 80# ### ####", cities: []string{"Lagos Island, Lagos", "Onitsha, Anambra", "Kano", "Aba, Abia"}, domains: commonMail},
	{code: "GH", weight: 2, given: []string{"Kwame", "Kofi", "Kwabena", "Yaw", "Ama", "Akosua", "Kojo", "Nana"},
		family: []string{"Mensah", "Asante", "Owusu", "Boateng", "Appiah", "Osei", "Agyeman", "Darko"},
		doc:    "G#######", phone: "+233 24 ### ####", cities: []string{"Makola, Accra", "Kumasi", "Tema"}, domains: commonMail},
	{code: "KE", weight: 2, given: []string{"Brian", "Kevin", "Dennis", "Grace", "Joseph", "Samuel", "Faith", "Peter"},
		family: []string{"Kamau", "Otieno", "Mwangi", "Kiprop", "Wanjiru", "Odhiambo", "Njoroge", "Mutua"},
		doc:    "AK#######", phone: "+254 7## ### ###", cities: []string{"Eastleigh, Nairobi", "Mombasa", "Kisumu"}, domains: commonMail},
	{code: "RU", weight: 4, given: []string{"Alexei", "Dmitry", "Sergei", "Andrei", "Ivan", "Nikolai", "Pavel", "Mikhail", "Vladimir", "Igor"},
		family: []string{"Ivanov", "Smirnov", "Kuznetsov", "Popov", "Sokolov", "Volkov", "Morozov", "Lebedev"},
		doc:    "#########", phone: "+7 9## ###-##-##", cities: []string{"Moscow", "Novosibirsk", "Yekaterinburg", "Kazan"}, domains: []string{"mail.ru", "yandex.ru", "gmail.com"}},
	{code: "KZ", weight: 2, given: []string{"Nursultan", "Yerlan", "Askar", "Daniyar", "Bauyrzhan", "Aidos", "Marat", "Timur"},
		family: []string{"Nurpeisov", "Abenov", "Zhakupov", "Seitkali", "Omarov", "Suleimenov", "Akhmetov"},
		doc:    "N########", phone: "+7 7## ### ####", cities: []string{"Almaty", "Astana", "Shymkent"}, domains: []string{"mail.ru", "gmail.com"}},
	{code: "UZ", weight: 2, given: []string{"Bekzod", "Jasur", "Rustam", "Sherzod", "Dilshod", "Farrukh", "Otabek", "Azizbek"},
		family: []string{"Karimov", "Rakhimov", "Yusupov", "Tursunov", "Abdullaev", "Nazarov", "Ismoilov"},
		doc:    "FA#######", phone: "+998 9# ### ## ##", cities: []string{"Tashkent", "Samarkand", "Andijan"}, domains: []string{"mail.ru", "gmail.com"}},
	{code: "TR", weight: 2, given: []string{"Mehmet", "Mustafa", "Ahmet", "Emre", "Burak", "Hakan", "Murat", "Serkan"},
		family: []string{"Yilmaz", "Kaya", "Demir", "Sahin", "Celik", "Yildiz", "Aydin", "Ozturk"},
		doc:    "U########", phone: "+90 5## ### ## ##", cities: []string{"Eminonu, Istanbul", "Merter, Istanbul", "Izmir", "Gaziantep"}, domains: commonMail},
	{code: "IN", weight: 2, given: []string{"Rahul", "Amit", "Suresh", "Vikram", "Rajesh", "Anil", "Sanjay", "Priya"},
		family: []string{"Sharma", "Patel", "Gupta", "Singh", "Mehta", "Jain", "Agarwal", "Shah"},
		doc:    "@#######", phone: "+91 9#### #####", cities: []string{"Sadar Bazar, Delhi", "Mumbai", "Surat"}, domains: commonMail},
	{code: "PK", weight: 2, given: []string{"Imran", "Usman", "Bilal", "Asif", "Kamran", "Faisal", "Zubair", "Adnan"},
		family: []string{"Khan", "Qureshi", "Butt", "Malik", "Chaudhry", "Sheikh", "Raza", "Iqbal"},
		doc:    "@@#######", phone: "+92 3## #######", cities: []string{"Saddar, Karachi", "Lahore", "Faisalabad"}, domains: commonMail},
	{code: "BR", weight: 2, given: []string{"Lucas", "Rafael", "Gabriel", "Thiago", "Bruno", "Felipe", "Mariana", "Fernanda"},
		family: []string{"Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa", "Ferreira", "Almeida"},
		doc:    "@@######", phone: "+55 11 9####-####", cities: []string{"Bras, Sao Paulo", "Rio de Janeiro", "Curitiba"}, domains: []string{"gmail.com", "hotmail.com", "uol.com.br"}},
	{code: "CL", weight: 2, given: spanishGiven, family: spanishNames, double: true,
		doc: "F########", phone: "+56 9 #### ####", cities: []string{"Barrio Meiggs, Santiago", "Iquique", "Valparaiso"}, domains: commonMail},
	{code: "MX", weight: 2, given: spanishGiven, family: spanishNames, double: true,
		doc: "G########", phone: "+52 55 #### ####", cities: []string{"Centro, Ciudad de Mexico", "Guadalajara", "Monterrey"}, domains: commonMail},
	{code: "ES", weight: 2, given: spanishGiven, family: spanishNames, double: true,
		doc: "PA@######", phone: "+34 6## ### ###", cities: []string{"Cobo Calleja, Fuenlabrada", "Valencia", "Barcelona"}, domains: commonMail},
	{code: "PL", weight: 1, given: []string{"Piotr", "Krzysztof", "Tomasz", "Pawel", "Marcin", "Michal", "Lukasz", "Jakub"},
		family: []string{"Nowak", "Kowalski", "Wisniewski", "Wojcik", "Kaminski", "Lewandowski", "Zielinski"},
		doc:    "E@#######", phone: "+48 5## ### ###", cities: []string{"Wolka Kosowska", "Warsaw", "Lodz"}, domains: []string{"wp.pl", "onet.pl", "gmail.com"}},
	{code: "US", weight: 2, given: []string{"Michael", "David", "John", "Robert", "Jennifer", "Jessica", "Daniel", "Kevin"},
		family: []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson"},
		doc:    "5########", phone: "+1 (7##) ###-####", cities: []string{"Los Angeles, CA", "Miami, FL", "Houston, TX", "New York, NY"}, domains: commonMail},
}
