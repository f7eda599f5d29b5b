"""Real SEC SIC codes and descriptions the synthetic universe draws its industries from.

Descriptions are spelled as the SEC (and so Massive/Polygon's `sic_description`) spells
them. `weight` is the code's share of listed companies within its division, and
`DIVISION_WEIGHTS` the division's share of the universe (roughly the US listed market).
"""

from __future__ import annotations

# (sic_code, sec_description, word used in synthetic company names, weight within division)
SIC_CODES: tuple[tuple[str, str, str, float], ...] = (
    # 01-09 Agriculture, Forestry & Fishing
    ("0100", "AGRICULTURAL PRODUCTION-CROPS", "Farms", 2.0),
    ("0200", "AGRICULTURAL PROD-LIVESTOCK & ANIMAL SPECIALTIES", "Livestock", 1.0),
    ("0700", "AGRICULTURAL SERVICES", "Agri Services", 1.0),
    # 10-14 Mining
    ("1000", "METAL MINING", "Mining", 2.0),
    ("1040", "GOLD AND SILVER ORES", "Gold", 2.0),
    ("1311", "CRUDE PETROLEUM & NATURAL GAS", "Energy", 4.0),
    ("1381", "DRILLING OIL & GAS WELLS", "Drilling", 1.0),
    ("1389", "OIL & GAS FIELD SERVICES, NEC", "Oilfield Services", 1.5),
    # 15-17 Construction
    ("1531", "OPERATIVE BUILDERS", "Homes", 2.0),
    ("1600", "HEAVY CONSTRUCTION OTHER THAN BLDG CONST - CONTRACTORS", "Construction", 1.5),
    ("1731", "ELECTRICAL WORK", "Electric Contractors", 1.0),
    # 20-39 Manufacturing
    ("2000", "FOOD AND KINDRED PRODUCTS", "Foods", 2.0),
    ("2080", "BEVERAGES", "Beverages", 1.0),
    ("2834", "PHARMACEUTICAL PREPARATIONS", "Pharmaceuticals", 6.0),
    ("2836", "BIOLOGICAL PRODUCTS, (NO DIAGNOSTIC SUBSTANCES)", "Biologics", 4.0),
    ("2860", "INDUSTRIAL ORGANIC CHEMICALS", "Chemicals", 1.5),
    ("2911", "PETROLEUM REFINING", "Refining", 1.0),
    ("3312", "STEEL WORKS, BLAST FURNACES & ROLLING MILLS (COKE OVENS)", "Steel", 1.0),
    ("3559", "SPECIAL INDUSTRY MACHINERY, NEC", "Machinery", 1.5),
    ("3571", "ELECTRONIC COMPUTERS", "Computer", 1.0),
    ("3576", "COMPUTER COMMUNICATIONS EQUIPMENT", "Networks", 1.0),
    ("3674", "SEMICONDUCTORS & RELATED DEVICES", "Semiconductor", 3.0),
    ("3711", "MOTOR VEHICLES & PASSENGER CAR BODIES", "Motors", 1.0),
    ("3714", "MOTOR VEHICLE PARTS & ACCESSORIES", "Auto Parts", 1.0),
    ("3721", "AIRCRAFT", "Aerospace", 1.0),
    ("3841", "SURGICAL & MEDICAL INSTRUMENTS & APPARATUS", "Medical", 2.5),
    ("3845", "ELECTROMEDICAL & ELECTROTHERAPEUTIC APPARATUS", "Medtech", 1.5),
    # 40-49 Transportation & Utilities
    ("4011", "RAILROADS, LINE-HAUL OPERATING", "Rail", 0.5),
    ("4213", "TRUCKING (NO LOCAL)", "Freight", 1.0),
    ("4412", "DEEP SEA FOREIGN TRANSPORTATION OF FREIGHT", "Shipping", 1.0),
    ("4512", "AIR TRANSPORTATION, SCHEDULED", "Airlines", 1.0),
    ("4813", "TELEPHONE COMMUNICATIONS (NO RADIOTELEPHONE)", "Telecom", 1.5),
    ("4911", "ELECTRIC SERVICES", "Power", 2.0),
    ("4931", "ELECTRIC & OTHER SERVICES COMBINED", "Utilities", 1.0),
    ("4922", "NATURAL GAS TRANSMISSION", "Pipelines", 1.0),
    # 50-51 Wholesale Trade
    ("5045", "WHOLESALE-COMPUTERS & PERIPHERAL EQUIPMENT & SOFTWARE", "Distribution", 1.0),
    ("5122", "WHOLESALE-DRUGS PROPRIETARIES & DRUGGISTS' SUNDRIES", "Health Supply", 1.0),
    ("5171", "WHOLESALE-PETROLEUM BULK STATIONS & TERMINALS", "Fuels", 1.0),
    # 52-59 Retail Trade
    ("5331", "RETAIL-VARIETY STORES", "Stores", 1.0),
    ("5411", "RETAIL-GROCERY STORES", "Grocers", 1.0),
    ("5812", "RETAIL-EATING PLACES", "Restaurants", 2.0),
    ("5961", "RETAIL-CATALOG & MAIL-ORDER HOUSES", "Commerce", 2.0),
    ("5651", "RETAIL-FAMILY CLOTHING STORES", "Apparel", 1.0),
    # 60-67 Finance, Insurance & Real Estate
    ("6022", "STATE COMMERCIAL BANKS", "Bancorp", 5.0),
    ("6021", "NATIONAL COMMERCIAL BANKS", "Financial", 2.0),
    ("6035", "SAVINGS INSTITUTION, FEDERALLY CHARTERED", "Savings", 1.0),
    ("6199", "FINANCE SERVICES", "Capital", 1.5),
    ("6211", "SECURITY BROKERS, DEALERS & FLOTATION COMPANIES", "Securities", 1.0),
    ("6311", "LIFE INSURANCE", "Life", 1.0),
    ("6331", "FIRE, MARINE & CASUALTY INSURANCE", "Insurance", 1.5),
    ("6798", "REAL ESTATE INVESTMENT TRUSTS", "Realty Trust", 4.0),
    ("6770", "BLANK CHECKS", "Acquisition", 1.0),
    # 70-89 Services
    ("7011", "HOTELS & MOTELS", "Hospitality", 1.0),
    ("7370", "SERVICES-COMPUTER PROGRAMMING, DATA PROCESSING, ETC.", "Data", 2.0),
    ("7372", "SERVICES-PREPACKAGED SOFTWARE", "Software", 5.0),
    ("7374", "SERVICES-COMPUTER PROCESSING & DATA PREPARATION", "Cloud", 2.0),
    ("7389", "SERVICES-BUSINESS SERVICES, NEC", "Services", 2.0),
    ("7812", "SERVICES-MOTION PICTURE & VIDEO TAPE PRODUCTION", "Studios", 0.5),
    ("8000", "SERVICES-HEALTH SERVICES", "Health", 1.0),
    ("8062", "SERVICES-GENERAL MEDICAL & SURGICAL HOSPITALS, NEC", "Hospitals", 0.5),
    ("8731", "SERVICES-COMMERCIAL PHYSICAL & BIOLOGICAL RESEARCH", "Research", 1.0),
    ("8742", "SERVICES-MANAGEMENT CONSULTING SERVICES", "Consulting", 0.5),
)

# Division (first two SIC digits, as lake.schemas.SIC_DIVISIONS) → share of the universe.
DIVISION_WEIGHTS: dict[str, float] = {
    "Agriculture, Forestry & Fishing": 0.01,
    "Mining": 0.05,
    "Construction": 0.015,
    "Manufacturing": 0.34,
    "Transportation & Utilities": 0.08,
    "Wholesale Trade": 0.025,
    "Retail Trade": 0.06,
    "Finance, Insurance & Real Estate": 0.20,
    "Services": 0.22,
}
